package io.losswatch.events;

import java.time.Instant;
import java.util.List;

/**
 * What the monitor writes to {@code training.alerts}.
 *
 * @param alertId stable id {@code runId/TYPE/onsetStep}: a firing and its resolved share it
 * @param step the step at which the condition was noticed (or cleared, for resolved)
 * @param onsetStep where the trouble began, not where it was noticed
 * @param time event time of {@code step}
 * @param detectedAt wall-clock time the monitor decided
 * @param fit the fit that supports the alert; {@code null} when no fit applies (non-finite loss)
 * @param forecast how long until the loss overflows; {@code null} when the loss is not growing
 * @param diagnosis likely cause and what to do
 */
public record AlertEvent(
        int schema,
        String alertId,
        String runId,
        AlertType type,
        AlertStatus status,
        Severity severity,
        long step,
        long onsetStep,
        Instant time,
        Instant detectedAt,
        Fit fit,
        Forecast forecast,
        Diagnosis diagnosis) {

    /**
     * Least-squares fit of ln(value) on step.
     *
     * @param windowSteps number of steps in the fitted window
     * @param growthRatePerStep slope b of ln(value) = a + b * step
     * @param doublingSteps ln 2 / b (infinite when b <= 0)
     * @param r2 coefficient of determination of the fit
     */
    public record Fit(int windowSteps, double growthRatePerStep, double doublingSteps, double r2) {}

    /**
     * @param stepsToOverflow steps until the fitted loss reaches {@code ceiling}
     * @param ceiling the value treated as the blow-up point (float overflow by default)
     */
    public record Forecast(double stepsToOverflow, double ceiling) {}

    /**
     * @param cause likely cause
     * @param confidence 0..1
     * @param evidence the numbers that led there, one short sentence each
     * @param suggestion what to try
     */
    public record Diagnosis(Cause cause, double confidence, List<String> evidence, String suggestion) {
        public Diagnosis {
            evidence = evidence == null ? List.of() : List.copyOf(evidence);
        }
    }

    public static String alertId(String runId, AlertType type, long onsetStep) {
        return alertId(runId, type, onsetStep, 0);
    }

    /**
     * {@code run_id/TYPE/onset_step}, with {@code /attempt-N} for the N-th restart of the run (its step
     * went back to 0), so that the same divergence in two attempts of a job is two incidents.
     */
    public static String alertId(String runId, AlertType type, long onsetStep, int attempt) {
        String id = runId + "/" + type + "/" + onsetStep;
        return attempt > 0 ? id + "/attempt-" + attempt : id;
    }
}
