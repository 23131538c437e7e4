package io.losswatch.notify;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.Severity;
import java.time.Instant;
import java.util.List;

/** Alert events shaped as the detector writes them: a resolved one carries no severity or diagnosis of its own. */
final class TestAlerts {
    private TestAlerts() {}

    static AlertEvent firing(String runId, AlertType type, long onset, Instant detectedAt) {
        return new AlertEvent(
                1,
                AlertEvent.alertId(runId, type, onset),
                runId,
                type,
                AlertStatus.FIRING,
                Severity.CRITICAL,
                onset + 15,
                onset,
                detectedAt.minusMillis(40),
                detectedAt,
                new AlertEvent.Fit(16, 0.081, 8.557, 0.97),
                new AlertEvent.Forecast(1011.4, 3.4028234663852886E38),
                new AlertEvent.Diagnosis(
                        Cause.LEARNING_RATE_TOO_HIGH,
                        0.6,
                        List.of(
                                "loss doubled every 8.6 steps over the last 16 steps (R^2 0.97)",
                                "update_ratio 0.41 > 0.1"),
                        "Lower the learning rate about 10x (Adam: try 1e-3), add warm-up, clip gradients."));
    }

    /** Resolved because the run went back or started over, as the detector writes it: the reason as evidence. */
    static AlertEvent restarted(AlertEvent firing, long step, Instant detectedAt, String reason) {
        return new AlertEvent(
                1,
                firing.alertId(),
                firing.runId(),
                firing.type(),
                AlertStatus.RESOLVED,
                firing.severity(),
                step,
                firing.onsetStep(),
                detectedAt.minusMillis(40),
                detectedAt,
                null,
                null,
                new AlertEvent.Diagnosis(
                        firing.diagnosis().cause(),
                        firing.diagnosis().confidence(),
                        List.of(reason),
                        "Resolved; nothing to do unless it fires again."));
    }

    /** The same alert raised again in the run's {@code attempt}-th start (after a rollback or a restart). */
    static AlertEvent inAttempt(AlertEvent firing, int attempt) {
        return new AlertEvent(
                firing.schema(),
                AlertEvent.alertId(firing.runId(), firing.type(), firing.onsetStep(), attempt),
                firing.runId(),
                firing.type(),
                firing.status(),
                firing.severity(),
                firing.step(),
                firing.onsetStep(),
                firing.time(),
                firing.detectedAt(),
                firing.fit(),
                firing.forecast(),
                firing.diagnosis());
    }

    static AlertEvent resolved(AlertEvent firing, long step, Instant detectedAt) {
        return new AlertEvent(
                1,
                firing.alertId(),
                firing.runId(),
                firing.type(),
                AlertStatus.RESOLVED,
                Severity.WARNING,
                step,
                firing.onsetStep(),
                detectedAt.minusMillis(40),
                detectedAt,
                null,
                null,
                null);
    }
}
