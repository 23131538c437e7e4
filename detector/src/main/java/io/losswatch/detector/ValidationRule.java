package io.losswatch.detector;

import io.losswatch.detector.fit.RollingFit;
import io.losswatch.events.AlertType;
import io.losswatch.events.Severity;

/**
 * VALIDATION_DIVERGENCE: the validation loss climbs away from its minimum while the training loss
 * keeps falling ({@link ValidationTracker}, the rule's part of a run's state), or, however few the
 * validations, two in a row stand twice the lowest before them while the training loss does not follow. Not while the training
 * loss climbs too, nor while the growth or blow-up rules see it grow: that run is diverging, not
 * overfitting. Resolved only when the
 * validation loss is back near its minimum for {@code resolvePoints} validations, not by a pause in
 * the climb.
 */
final class ValidationRule {
    static final AlertType TYPE = AlertType.VALIDATION_DIVERGENCE;
    /** Share of the minimum rise (in ln) within which the validation loss counts as back at its minimum. */
    static final double BACK_SHARE = 0.5;

    private final DetectorConfig config;
    private final Thresholds t;
    private final AlertLifecycle lifecycle;

    ValidationRule(DetectorConfig config, Thresholds t, AlertLifecycle lifecycle) {
        this.config = config;
        this.t = t;
        this.lifecycle = lifecycle;
    }

    /** A finite, positive validation loss; {@code v} is its ln. */
    void onValidation(Step st, double v) {
        RunState s = st.state;
        ValidationTracker vt = s.validation;
        DetectorConfig.Validation c = config.validation();
        int k = trainPoints(s, vt);
        double train = k == 0 ? Double.NaN : level(s.loss.raw, k);
        boolean diverges = s.growth.growthStreak() > 0
                || AlertLifecycle.firing(s, GrowthRule.TYPE)
                || AlertLifecycle.firing(s, BlowupRule.TYPE);
        boolean rising = vt.onValidation(
                st.step(),
                v,
                train,
                () -> trainTolerance(s.loss.raw, k),
                diverges,
                s.facts.perEpoch,
                s.loss.recentLowLn(),
                s.growth.plannedSinceStep >= 0,
                c,
                t.validationMinRise);
        boolean firing = AlertLifecycle.firing(s, TYPE);
        if (rising) {
            vt.calmPoints = 0;
            if (!firing && vt.streak >= c.confirmPoints()) {
                vt.farAlert = vt.far;
                lifecycle.fire(
                        st,
                        TYPE,
                        Severity.WARNING,
                        vt.far ? vt.values.stepAt(vt.farRef()) : vt.bestStep,
                        vt.fit(),
                        null);
            }
        } else if (firing) {
            boolean back = vt.farAlert ? vt.farBack() : vt.smoothLn - vt.bestLn < t.validationMinRise * BACK_SHARE;
            vt.calmPoints = back ? vt.calmPoints + 1 : 0;
            if (vt.calmPoints >= c.resolvePoints()) {
                vt.farAlert = false;
                lifecycle.resolve(st, TYPE);
            }
        }
    }

    /**
     * Training points in the level compared at each validation: those since the previous validation,
     * at most the short growth window's (8). With validations tens of steps apart that is 8 steps;
     * with one validation an epoch and one point an epoch, the newest point alone, which is already an
     * epoch's mean: a mean over 8 epochs would lag a climb by 4 of them. 0 without training points.
     */
    private int trainPoints(RunState s, ValidationTracker vt) {
        RollingFit raw = s.loss.raw;
        int most = Math.min(raw.size(), config.growth().shortScale().points());
        if (vt.values.size() == 0) {
            return most;
        }
        long previous = vt.values.newestStep();
        int k = 0;
        while (k < most && raw.stepAt(raw.size() - 1 - k) > previous) {
            k++;
        }
        return Math.max(Math.min(1, most), k);
    }

    private double level(RollingFit raw, int k) {
        int shortPoints = config.growth().shortScale().points();
        return k >= Math.min(raw.size(), shortPoints)
                ? raw.meanNewest(shortPoints)
                : raw.mean(raw.size() - k, raw.size());
    }

    /**
     * How far above its level at the validation minimum the training level may be and still not be
     * rising: {@link ValidationTracker#TRAIN_SIGMAS} standard errors of the difference of two means of
     * {@code k} points (noise from the second differences, so neither the descent nor its curve counts,
     * widened for noise correlated from step to step, which a mean of neighbouring steps does not
     * average out; a single point, such as an epoch's mean, needs no widening), at most
     * {@link ValidationTracker#LN_TRAIN_FLAT}.
     */
    private static double trainTolerance(RollingFit raw, int k) {
        if (k == 0) {
            return ValidationTracker.LN_TRAIN_FLAT;
        }
        double error = raw.curveNoise()
                * GrowthChecks.meanCorrelationFactor(k, GrowthChecks.correlation(raw))
                * Math.sqrt(2.0 / k);
        return Math.min(ValidationTracker.LN_TRAIN_FLAT, ValidationTracker.TRAIN_SIGMAS * error);
    }
}
