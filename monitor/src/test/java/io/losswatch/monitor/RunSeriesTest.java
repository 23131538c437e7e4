package io.losswatch.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.AlertType;
import io.losswatch.events.StepEvent;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-run series: only what the trainer sends, gone with the run. */
class RunSeriesTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
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

    private List<String> scraped(String name) {
        return registry.scrape().lines().filter(l -> l.startsWith(name + "{")).toList();
    }

    @Test
    void shouldExportNoGradNormOrLearningRateForATrainerThatSendsNeither() {
        metrics.step(StepEvent.of("bare", 1, 1.0), null, 0);

        assertThat(scraped("losswatch_loss")).containsExactly("losswatch_loss{run_id=\"bare\"} 1.0");
        assertThat(scraped("losswatch_step")).containsExactly("losswatch_step{run_id=\"bare\"} 1.0");
        assertThat(scraped("losswatch_grad_norm")).isEmpty();
        assertThat(scraped("losswatch_learning_rate")).isEmpty();
        assertThat(scraped("losswatch_val_loss")).isEmpty();
        assertThat(scraped("losswatch_alert_active")).hasSize(AlertType.values().length);
        assertThat(registry.scrape()).contains("# HELP losswatch_loss Latest training loss of the run");
    }

    @Test
    void shouldExportTheLatestValidationLossAndKeepItBetweenValidations() {
        metrics.step(withValidation("r", 10, 1.0, 1.2), null, 0);
        metrics.step(StepEvent.of("r", 11, 0.9), null, 0);

        assertThat(scraped("losswatch_val_loss")).containsExactly("losswatch_val_loss{run_id=\"r\"} 1.2");
        assertThat(metrics.runValue(LosswatchMetrics.GRAD_NORM, "r")).hasValue(1.5);
        assertThat(metrics.runValue(LosswatchMetrics.LOSS, "r")).hasValue(0.9);
    }

    @Test
    void shouldRemoveEverySeriesWithTheIdleRun() {
        metrics.step(withValidation("r", 10, 1.0, 1.2), null, 0);
        metrics.step(StepEvent.of("fresh", 1, 1.0), null, Duration.ofMinutes(50).toNanos());

        assertThat(metrics.expireIdleRuns(Duration.ofHours(1).toNanos(), Duration.ofMinutes(30)))
                .isOne();

        assertThat(registry.scrape()).doesNotContain("run_id=\"r\"").contains("run_id=\"fresh\"");
        assertThat(registry.get(LosswatchMetrics.ACTIVE_RUNS).gauge().value()).isOne();
    }

    @Test
    void shouldUpdateTheSeriesObjectAStepKeptAndMakeANewOneOnceItsRunExpired() {
        RunSeries.Run first = metrics.step(null, StepEvent.of("r", 1, 1.0), null, 0);
        assertThat(first.createdByLastStep).isTrue();
        RunSeries.Run kept = metrics.step(first, StepEvent.of("r", 2, 0.9), null, 0);
        assertThat(kept).isSameAs(first);
        assertThat(kept.createdByLastStep).isFalse();

        metrics.expireIdleRuns(Duration.ofHours(1).toNanos(), Duration.ofMinutes(30));
        assertThat(registry.scrape()).doesNotContain("run_id=\"r\"");
        // the next step, with the object kept from before the expiry, brings the run's series back
        RunSeries.Run back = metrics.step(
                first, StepEvent.of("r", 3, 0.8), null, Duration.ofHours(1).toNanos());
        assertThat(back).isNotSameAs(first);
        assertThat(back.createdByLastStep).isTrue();
        assertThat(metrics.runValue(LosswatchMetrics.LOSS, "r")).hasValue(0.8);
    }
}
