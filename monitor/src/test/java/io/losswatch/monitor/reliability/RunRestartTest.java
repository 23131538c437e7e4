package io.losswatch.monitor.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.StepEvent;
import io.losswatch.monitor.LosswatchMetrics;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run id whose steps go back to 0: a restarted job, handled as a new attempt of the same run. */
class RunRestartTest {
    @TempDir
    Path stateDir;

    private static StepEvent diverging(String run, int i) {
        double loss = i < 40 ? 2.3 * Math.exp(-0.01 * i) : 2.3 * Math.exp(-0.4) * Math.exp(0.1 * (i - 40));
        return StepEvent.of(run, i, loss).withLearningRate(0.5);
    }

    private static StepEvent healthy(String run, int i) {
        return StepEvent.of(run, i, 2.3 * Math.exp(-i / 60.0)).withLearningRate(0.001);
    }

    @Test
    void shouldTreatAStepBackToZeroAsANewAttemptThatResolvesTheOldAlertsAndIsWatchedAfresh() {
        try (BadInputTest.Harness h = new BadInputTest.Harness(stateDir)) {
            for (int i = 0; i < 80; i++) {
                h.send(diverging("job", i));
            }
            assertThat(h.alertsOf("job")).containsExactly("FIRING LOSS_EXPONENTIAL_GROWTH@50 onset 40");

            // the job is restarted with a lower learning rate: step 0 again
            for (int i = 0; i < 150; i++) {
                h.send(healthy("job", i));
            }
            assertThat(h.alertsOf("job"))
                    .as("the old attempt's alert is closed at the restart, nothing else")
                    .containsExactly("RESOLVED LOSS_EXPONENTIAL_GROWTH@0 onset 40");
            assertThat(h.count(LosswatchMetrics.IGNORED_RECORDS, "new_attempt")).isEqualTo(1);
            assertThat(h.count(LosswatchMetrics.IGNORED_RECORDS, "stale_step"))
                    .as("the new attempt's steps are used, not a stream of errors")
                    .isZero();
            assertThat(h.dlq.isEmpty()).isTrue();
            assertThat(h.meters.runValue(LosswatchMetrics.STEP, "job")).hasValue(149);

            // restarted once more, and this attempt diverges again: detected afresh, from its own steps
            for (int i = 0; i < 80; i++) {
                h.send(diverging("job", i));
            }
            assertThat(h.alertsOf("job")).containsExactly("FIRING LOSS_EXPONENTIAL_GROWTH@50 onset 40");
            assertThat(h.count(LosswatchMetrics.IGNORED_RECORDS, "new_attempt")).isEqualTo(2);
            assertThat(h.count(LosswatchMetrics.IGNORED_RECORDS, "stale_step")).isZero();
        }
    }

    @Test
    void shouldIgnoreStepsOfAJobResumedFromACheckpointUntilItPassesItsLastStep() {
        try (BadInputTest.Harness h = new BadInputTest.Harness(stateDir)) {
            for (int i = 0; i < 100; i++) {
                h.send(healthy("resumed", i));
            }
            // resumed from the checkpoint of step 90: steps 90..99 were seen already
            for (int i = 90; i < 110; i++) {
                h.send(healthy("resumed", i));
            }
            assertThat(h.count(LosswatchMetrics.IGNORED_RECORDS, "stale_step")).isEqualTo(10);
            assertThat(h.count(LosswatchMetrics.IGNORED_RECORDS, "new_attempt")).isZero();
            assertThat(h.alertsOf("resumed")).isEmpty();
            assertThat(h.dlq.isEmpty()).isTrue();
        }
    }

    @Test
    void shouldNotCountARepeatedStepZeroAsAnotherAttempt() {
        try (BadInputTest.Harness h = new BadInputTest.Harness(stateDir)) {
            h.send(healthy("zero", 0));
            h.send(healthy("zero", 0));
            assertThat(h.count(LosswatchMetrics.IGNORED_RECORDS, "stale_step")).isEqualTo(1);
            assertThat(h.count(LosswatchMetrics.IGNORED_RECORDS, "new_attempt")).isZero();
        }
    }
}
