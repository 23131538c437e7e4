package io.losswatch.detector;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.events.AlertType;
import io.losswatch.events.Severity;

/** LOSS_NON_FINITE: a loss that is NaN or infinite is critical at once; a run of them is one alert. */
final class NonFiniteLossRule {
    static final AlertType TYPE = AlertType.LOSS_NON_FINITE;

    /** The rule's part of a run's state. */
    static final class State {
        long firstNonFiniteStep = -1; // where the current stretch of non-finite losses began

        void clear() {
            firstNonFiniteStep = -1;
        }

        void writeTo(StateWriter w, long base) {
            w.step(firstNonFiniteStep, base);
        }

        void readFrom(StateReader r, long base) {
            firstNonFiniteStep = r.step(base);
        }
    }

    private final AlertLifecycle lifecycle;

    NonFiniteLossRule(AlertLifecycle lifecycle) {
        this.lifecycle = lifecycle;
    }

    /** Judges the step's loss; false when it is not finite (the other loss rules then have nothing to judge). */
    boolean onStep(Step st) {
        State s = st.state.nonFiniteLoss;
        if (!Double.isFinite(st.event.loss())) {
            if (s.firstNonFiniteStep < 0) {
                s.firstNonFiniteStep = st.step();
            }
            AlertLifecycle.hold(st, TYPE);
            if (!AlertLifecycle.firing(st.state, TYPE)) {
                lifecycle.fire(st, TYPE, Severity.CRITICAL, s.firstNonFiniteStep, null, null);
            }
            return false;
        }
        s.firstNonFiniteStep = -1;
        lifecycle.recover(st, TYPE);
        return true;
    }
}
