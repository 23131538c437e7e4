package io.losswatch.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.Severity;
import io.losswatch.events.StepEvent;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code losswatch_alert_cause}: the dashboards' run table reads a firing alert's cause from it. */
class AlertCauseMetricTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final LosswatchMetrics metrics = new LosswatchMetrics(registry);

    private static AlertEvent alert(AlertStatus status, Cause cause) {
        return new AlertEvent(
                1,
                AlertEvent.alertId("r", AlertType.LOSS_EXPONENTIAL_GROWTH, 3),
                "r",
                AlertType.LOSS_EXPONENTIAL_GROWTH,
                status,
                Severity.CRITICAL,
                9,
                3,
                Instant.now(),
                Instant.now(),
                null,
                null,
                new AlertEvent.Diagnosis(cause, 0.8, List.of(), "lower it"));
    }

    private long causeSeries() {
        return registry.scrape()
                .lines()
                .filter(l -> l.startsWith("losswatch_alert_cause{"))
                .count();
    }

    @Test
    void shouldLabelAFiringAlertWithItsCauseAndDropTheSeriesWhenItResolves() {
        metrics.step(StepEvent.of("r", 1, 1.0), null, 0);
        metrics.alert(alert(AlertStatus.FIRING, Cause.LEARNING_RATE_TOO_HIGH), 5);
        assertThat(metrics.runValue(
                        LosswatchMetrics.ALERT_CAUSE,
                        "r",
                        "type",
                        "LOSS_EXPONENTIAL_GROWTH",
                        "cause",
                        "LEARNING_RATE_TOO_HIGH"))
                .hasValue(1.0);
        assertThat(causeSeries()).isOne();

        metrics.alert(alert(AlertStatus.RESOLVED, Cause.LEARNING_RATE_TOO_HIGH), -1);
        assertThat(causeSeries()).isZero();
    }

    @Test
    void shouldKeepOneCauseSeriesPerRunAndTypeAndExpireItWithTheRun() {
        metrics.step(StepEvent.of("r", 1, 1.0), null, 0);
        metrics.alert(alert(AlertStatus.FIRING, Cause.UNKNOWN), 5);
        metrics.alert(alert(AlertStatus.FIRING, Cause.LEARNING_RATE_TOO_HIGH), 5);
        assertThat(causeSeries()).isOne();

        metrics.expireIdleRuns(Duration.ofHours(1).toNanos(), Duration.ofMinutes(30));
        assertThat(causeSeries()).isZero();
    }
}
