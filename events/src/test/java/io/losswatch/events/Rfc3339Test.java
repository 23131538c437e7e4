package io.losswatch.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Rfc3339Test {
    private static Instant iso(String s) {
        return OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    }

    /** The hand-read form gives the ISO formatter's instant, or leaves the text to it; never another value. */
    private static void assertAgreesWithTheIsoFormatter(String s) {
        Instant expected;
        try {
            expected = iso(s);
        } catch (DateTimeParseException e) {
            assertThat(Rfc3339.parseCommonForm(s)).as(s).isNull();
            assertThatThrownBy(() -> Rfc3339.parse(s)).as(s).isInstanceOf(DateTimeParseException.class);
            return;
        }
        Instant fast = Rfc3339.parseCommonForm(s);
        if (fast != null) {
            assertThat(fast).as(s).isEqualTo(expected);
        }
        assertThat(Rfc3339.parse(s)).as(s).isEqualTo(expected);
    }

    @Test
    void shouldReadRandomTimesInEveryCommonSpellingAsTheIsoFormatterDoes() {
        SplittableRandom rnd = new SplittableRandom(42);
        int readByHand = 0;
        for (int k = 0; k < 20_000; k++) {
            long seconds = rnd.nextLong(-62_135_596_800L, 253_402_300_799L); // years 0001-9999
            int nanos = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(1_000_000_000);
            int offsetMinutes = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(-18 * 60, 18 * 60 + 1);
            OffsetDateTime t =
                    Instant.ofEpochSecond(seconds, nanos).atOffset(ZoneOffset.ofTotalSeconds(offsetMinutes * 60));
            String s = t.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME); // fraction trimmed, Z or +hh:mm
            assertAgreesWithTheIsoFormatter(s);
            if (Rfc3339.parseCommonForm(s) != null) {
                readByHand++;
            }
            String millis = String.format(
                    "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s",
                    t.getYear(),
                    t.getMonthValue(),
                    t.getDayOfMonth(),
                    t.getHour(),
                    t.getMinute(),
                    t.getSecond(),
                    nanos / 1_000_000,
                    offsetMinutes == 0 ? "Z" : t.getOffset().getId());
            assertAgreesWithTheIsoFormatter(millis);
        }
        assertThat(readByHand).isGreaterThan(19_000); // what trainers send does not go the slow way
    }

    @Test
    void shouldLeaveEveryUnusualOrInvalidTextToTheIsoFormatter() {
        List<String> odd = new ArrayList<>(List.of(
                "2026-11-27T05:00:00Z",
                "2026-11-27T05:00:00.5Z",
                "2026-11-27T05:00:00.123456789Z",
                "2026-11-27T05:00:00-00:00",
                "2026-11-27T05:00:00+18:00",
                "2026-11-27T05:00:00-18:00",
                "2024-02-29T00:00:00Z",
                "2000-02-29T23:59:59+05:30",
                "2026-02-29T00:00:00Z",
                "2100-02-29T00:00:00Z",
                "2026-04-31T00:00:00Z",
                "2026-13-01T00:00:00Z",
                "2026-00-01T00:00:00Z",
                "2026-11-00T00:00:00Z",
                "2026-11-27T24:00:00Z",
                "2026-11-27T05:60:00Z",
                "2026-11-27T05:00:60Z",
                "2026-11-27T05:00Z",
                "2026-11-27t05:00:00z",
                "2026-11-27T05:00:00z",
                "2026-11-27T05:00:00.Z",
                "2026-11-27T05:00:00.1234567891Z",
                "2026-11-27T05:00:00+18:01",
                "2026-11-27T05:00:00+05:60",
                "2026-11-27T05:00:00+0530",
                "2026-11-27T05:00:00+05:30:15",
                "2026-11-27T05:00:00+05",
                "2026-11-27T05:00:00",
                "2026-11-27 05:00:00Z",
                "+2026-11-27T05:00:00Z",
                "12026-11-27T05:00:00Z",
                "2026-11-27T05:00:00Z ",
                " 2026-11-27T05:00:00Z",
                "2026-1a-27T05:00:00Z",
                "2026-11-27T05:00:00.12a4Z",
                "2026-11-27T05:00:00ZZ",
                "2026-11-27T05:00:00+05:30Z",
                ""));
        odd.forEach(Rfc3339Test::assertAgreesWithTheIsoFormatter);
        assertThat(Rfc3339.parseCommonForm("2026-11-27T05:00:00.123+01:00"))
                .isEqualTo(Instant.parse("2026-11-27T04:00:00.123Z"));
    }
}
