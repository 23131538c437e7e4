package io.losswatch.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.StepEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The per-run series: only what the trainer sends, gone with the run. */
class RunSeriesTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LosswatchMetrics metrics = new LosswatchMetrics(registry);

    private static StepEvent withValidation(String run, long step, double loss, double valLoss) {
        StepEvent e = StepEvent.of(run, step, loss);
        return new StepEvent(
                e.schema(),
                e.runId(),
                e.step(),
                e.time(),
                e.loss(),
                1.5,
                e.layerGradNorms(),
                1e-3,
                e.paramNorm(),
                e.updateRatio(),
                valLoss,
                e.epoch(),
                e.labels(),
                e.resumedFrom());
    }

    @Test
    void shouldExportNoGradNormOrLearningRateForATrainerThatSendsNeither() {
        metrics.step(StepEvent.of("bare", 1, 1.0), null, 0);

        assertThat(registry.find(LosswatchMetrics.LOSS).gauges()).hasSize(1);
        assertThat(registry.find(LosswatchMetrics.GRAD_NORM).gauges()).isEmpty();
        assertThat(registry.find(LosswatchMetrics.LEARNING_RATE).gauges()).isEmpty();
        assertThat(registry.find(LosswatchMetrics.VAL_LOSS).gauges()).isEmpty();
    }

    @Test
    void shouldExportTheLatestValidationLossAndKeepItBetweenValidations() {
        metrics.step(withValidation("r", 10, 1.0, 1.2), null, 0);
        metrics.step(StepEvent.of("r", 11, 0.9), null, 0);

        assertThat(registry.get(LosswatchMetrics.VAL_LOSS)
                        .tags("run_id", "r")
                        .gauge()
                        .value())
                .isEqualTo(1.2);
        assertThat(registry.get(LosswatchMetrics.GRAD_NORM)
                        .tags("run_id", "r")
                        .gauge()
                        .value())
                .isEqualTo(1.5);
    }

    @Test
    void shouldRemoveTheValidationLossWithTheIdleRun() {
        metrics.step(withValidation("r", 10, 1.0, 1.2), null, 0);

        metrics.expireIdleRuns(Duration.ofHours(1).toNanos(), Duration.ofMinutes(30));

        assertThat(registry.find(LosswatchMetrics.VAL_LOSS).gauges()).isEmpty();
        assertThat(registry.find(LosswatchMetrics.LOSS).gauges()).isEmpty();
    }
}
