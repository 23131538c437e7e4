package io.losswatch.detector;

import io.losswatch.events.AlertType;
import io.losswatch.events.Severity;

/**
 * VALIDATION_DIVERGENCE: the validation loss climbs away from its minimum while the training loss
 * keeps falling ({@link ValidationTracker}, the rule's part of a run's state). Resolved only when the
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
        double train = s.loss.raw.size() > 0
                ? s.loss.raw.meanNewest(config.growth().shortScale().points())
                : Double.NaN;
        boolean rising = vt.onValidation(st.step(), v, train, c, t.validationMinRise);
        boolean firing = AlertLifecycle.firing(s, TYPE);
        if (rising) {
            vt.calmPoints = 0;
            if (!firing && vt.streak >= c.confirmPoints()) {
                lifecycle.fire(st, TYPE, Severity.WARNING, vt.bestStep, vt.fit(), null);
            }
        } else if (firing) {
            boolean back = vt.smoothLn - vt.bestLn < t.validationMinRise * BACK_SHARE;
            vt.calmPoints = back ? vt.calmPoints + 1 : 0;
            if (vt.calmPoints >= c.resolvePoints()) {
                lifecycle.resolve(st, TYPE);
            }
        }
    }
}
