package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GroupProgressTest {
    private static final Instant T0 = Instant.parse("2026-11-27T05:00:00Z");
    private static final Duration STALL = Duration.ofSeconds(60);

    private static GroupProgress progress() {
        return new GroupProgress("monitor", null, "losswatch", "training.metrics", STALL, T0);
    }

    private static Instant at(int seconds) {
        return T0.plusSeconds(seconds);
    }

    @Test
    void shouldCallAGroupStalledOnlyWhenRecordsWaitAndNothingWasCommittedForTheStallTime() {
        GroupProgress p = progress();
        p.observe(Map.of(0, 100L), Map.of(0, 0L), Map.of(0, 100L), at(5));
        assertThat(p.healthFields()).startsWith("\"progress\":\"caught_up\",\"lag\":0");

        // records arrive, the group's offset stays where it was
        p.observe(Map.of(0, 100L), Map.of(0, 0L), Map.of(0, 140L), at(10));
        p.observe(Map.of(0, 100L), Map.of(0, 0L), Map.of(0, 180L), at(64));
        assertThat(p.progressing()).as("waited 59 s of 60").isTrue();
        assertThat(p.healthFields()).contains("\"progress\":\"progressing\",\"lag\":80");

        p.observe(Map.of(0, 100L), Map.of(0, 0L), Map.of(0, 200L), at(65));
        assertThat(p.progressing()).isFalse();
        assertThat(p.lag()).isEqualTo(100);
        assertThat(p.healthFields())
                .contains("\"progress\":\"stalled\",\"lag\":100")
                .contains("\"stalled_since\":\"2026-11-27T05:01:05Z\"");

        p.observe(Map.of(0, 120L), Map.of(0, 0L), Map.of(0, 200L), at(70));
        assertThat(p.progressing()).as("a commit moved the offset").isTrue();
        assertThat(p.healthFields())
                .contains("\"lag\":80")
                .contains("\"last_commit_seen\":\"2026-11-27T05:01:10Z\"")
                .doesNotContain("stalled");
    }

    @Test
    void shouldNotCallAGroupWithNothingToReadStalledHoweverLongItIsIdle() {
        GroupProgress p = progress();
        for (int s = 0; s <= 600; s += 5) {
            p.observe(Map.of(0, 7L, 1, 3L), Map.of(0, 0L, 1, 0L), Map.of(0, 7L, 1, 3L), at(s));
        }
        assertThat(p.progressing()).isTrue();
        assertThat(p.lag()).isZero();
    }

    @Test
    void shouldCountAPartitionTheGroupNeverCommittedFromItsStart() {
        GroupProgress p = progress();
        // a monitor that has read nothing since it started, of a topic whose first 40 records were deleted
        p.observe(Map.of(), Map.of(0, 40L), Map.of(0, 50L), at(30));
        assertThat(p.lag()).isEqualTo(10);
        assertThat(p.progressing()).isTrue();
        p.observe(Map.of(), Map.of(0, 40L), Map.of(0, 50L), at(60));
        assertThat(p.progressing()).as("nothing read in the 60 s since start").isFalse();
    }

    @Test
    void shouldSayUnknownBeforeTheFirstLook() {
        assertThat(progress().healthFields()).isEqualTo("\"progress\":\"unknown\"");
        assertThat(progress().progressing()).isTrue();
    }
}
