package io.losswatch.monitor.detect;

/**
 * Thresholds of the detectors. The defaults are what the detection benchmark supports; change them
 * only with evidence from it.
 *
 * @param shortWindow steps in the short fit window (sudden blow-ups)
 * @param longWindow steps in the long fit window (slow, steady growth)
 * @param shortMinRate minimum growth rate of ln(loss) per step in the short window
 * @param longMinRate minimum growth rate of ln(loss) per step in the long window
 * @param shortMinR2 minimum R^2 of the short fit
 * @param longMinR2 minimum R^2 of the long fit
 * @param minRiseFactor the fitted loss must rise at least this factor over the window
 * @param confirmSteps consecutive steps the growth condition must hold before an alert fires
 * @param resolveSteps consecutive healthy steps before a firing alert is resolved
 * @param ceiling loss value treated as the blow-up point of the forecast (float overflow by default)
 * @param criticalDoublingSteps growth that doubles faster than this is critical, slower is a warning
 */
public record DetectorConfig(
        int shortWindow,
        int longWindow,
        double shortMinRate,
        double longMinRate,
        double shortMinR2,
        double longMinR2,
        double minRiseFactor,
        int confirmSteps,
        int resolveSteps,
        double ceiling,
        double criticalDoublingSteps) {

    public static DetectorConfig defaults() {
        return new DetectorConfig(16, 64, 0.03, 0.004, 0.8, 0.7, 1.5, 2, 50, Float.MAX_VALUE, 50);
    }

    public DetectorConfig {
        if (shortWindow < 4 || longWindow < shortWindow) {
            throw new IllegalArgumentException("windows must satisfy 4 <= short <= long, got short=" + shortWindow
                    + " long=" + longWindow);
        }
        if (confirmSteps < 1 || resolveSteps < 1) {
            throw new IllegalArgumentException("confirm and resolve steps must be at least 1");
        }
        if (!(ceiling > 1)) {
            throw new IllegalArgumentException("the forecast ceiling must be greater than 1, got " + ceiling);
        }
    }

    public DetectorConfig withCeiling(double c) {
        return new DetectorConfig(shortWindow, longWindow, shortMinRate, longMinRate, shortMinR2, longMinR2,
                minRiseFactor, confirmSteps, resolveSteps, c, criticalDoublingSteps);
    }

    public DetectorConfig withResolveSteps(int r) {
        return new DetectorConfig(shortWindow, longWindow, shortMinRate, longMinRate, shortMinR2, longMinR2,
                minRiseFactor, confirmSteps, r, ceiling, criticalDoublingSteps);
    }
}
