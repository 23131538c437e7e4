package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5));

    @Test
    void shouldDoubleTheWaitWithEachFailureWithinHalfToFullOfTheStep() {
        for (int failures = 1; failures <= 8; failures++) {
            long step = 1000L << (failures - 1);
            assertThat(backoff.delay(failures, null, () -> 0.0)).hasMillis(step / 2);
            assertThat(backoff.delay(failures, null, () -> 0.999999).toMillis()).isBetween(step - 1, step);
        }
    }

    @Test
    void shouldNeverWaitLongerThanTheMaximum() {
        assertThat(backoff.delay(10, null, () -> 0.999999).toMillis()).isBetween(299_999L, 300_000L);
        assertThat(backoff.delay(1_000_000, null, () -> 0.999999).toMillis()).isBetween(299_999L, 300_000L);
        assertThat(backoff.delay(Integer.MAX_VALUE, null, () -> 0.0)).hasMillis(150_000);
    }

    @Test
    void shouldSpreadRetriesOfNotifiersThatFailedTogether() {
        assertThat(backoff.delay(4, null, () -> 0.1)).isNotEqualTo(backoff.delay(4, null, () -> 0.9));
    }

    @Test
    void shouldWaitExactlyAsLongAsTheReceiverAsksInRetryAfter() {
        assertThat(backoff.delay(7, Duration.ofSeconds(3), () -> 0.5)).isEqualTo(Duration.ofSeconds(3));
        assertThat(backoff.delay(1, Duration.ofMinutes(20), () -> 0.5)).isEqualTo(Duration.ofMinutes(20));
    }

    @Test
    void shouldCapAnAbsurdRetryAfterAtOneHour() {
        assertThat(backoff.delay(1, Duration.ofDays(3), () -> 0.5)).isEqualTo(Backoff.RETRY_AFTER_LIMIT);
    }

    @Test
    void shouldRefuseAnInitialWaitLongerThanTheMaximum() {
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
