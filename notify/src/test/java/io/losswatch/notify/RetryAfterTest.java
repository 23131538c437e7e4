package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryAfterTest {
    private static final Instant NOW = Instant.parse("2026-11-27T05:00:00Z");

    @Test
    void shouldReadDelaySeconds() {
        assertThat(RetryAfter.parse("120", NOW)).contains(Duration.ofSeconds(120));
        assertThat(RetryAfter.parse(" 0 ", NOW)).contains(Duration.ZERO);
    }

    @Test
    void shouldReadAnHttpDate() {
        assertThat(RetryAfter.parse("Fri, 27 Nov 2026 05:00:30 GMT", NOW)).contains(Duration.ofSeconds(30));
    }

    @Test
    void shouldTakeADateInThePastAsNow() {
        assertThat(RetryAfter.parse("Fri, 27 Nov 2026 04:00:00 GMT", NOW)).contains(Duration.ZERO);
    }

    @Test
    void shouldIgnoreWhatItCannotRead() {
        assertThat(RetryAfter.parse("soon", NOW)).isEmpty();
        assertThat(RetryAfter.parse("-5", NOW)).isEmpty();
        assertThat(RetryAfter.parse("", NOW)).isEmpty();
        assertThat(RetryAfter.parse(null, NOW)).isEmpty();
    }

    @Test
    void shouldTakeAnOverlongNumberAsTheLongestWait() {
        assertThat(RetryAfter.parse("99999999999999999999999", NOW)).contains(Backoff.RETRY_AFTER_LIMIT);
    }
}
