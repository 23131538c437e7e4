package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TargetWorkerLogTest {

    private static final Instant START = Instant.parse("2026-11-27T05:00:00Z");

    @Test
    void shouldLogEveryOfTheFirstFiveRetriesThenEveryTenth() {
        int[] logged =
                IntStream.rangeClosed(1, 40).filter(TargetWorker::logsRetry).toArray();

        assertThat(logged).containsExactly(1, 2, 3, 4, 5, 10, 20, 30, 40);
    }

    @Test
    void shouldKeepLoggingALongOutage() {
        long loggedBetween100And200 =
                IntStream.rangeClosed(101, 200).filter(TargetWorker::logsRetry).count();

        assertThat(loggedBetween100And200).isEqualTo(10);
    }

    @Test
    void shouldLeaveAlertsDecidedBeforeTheStartOutOfTheLatency() {
        Instant now = START.plusSeconds(30);

        assertThat(TargetWorker.deliveryLatency(START.minusSeconds(600), START, now))
                .isNull();
        assertThat(TargetWorker.deliveryLatency(null, START, now)).isNull();
        assertThat(TargetWorker.deliveryLatency(START.plusSeconds(10), START, now))
                .isEqualTo(Duration.ofSeconds(20));
    }
}
