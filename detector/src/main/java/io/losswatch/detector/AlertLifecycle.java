package io.losswatch.detector;

import io.losswatch.detector.fit.LinearFit;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.Severity;
import java.util.List;

/**
 * Fire, hold and resolve, the same for every alert type: one firing per run and type until it
 * resolves (no alert storms); a firing alert resolves after {@code resolveSteps} healthy steps in a
 * row; the resolved event carries the firing's severity and cause, which receivers match it by; and
 * an alert's id is the run, the type, the onset and the attempt.
 */
final class AlertLifecycle {
    private final DetectorConfig config;
    private final Diagnoser diagnoser;
    private final double lnCeiling;

    AlertLifecycle(DetectorConfig config, Diagnoser diagnoser) {
        this.config = config;
        this.diagnoser = diagnoser;
        this.lnCeiling = Math.log(config.ceiling());
    }

    static boolean firing(RunState s, AlertType type) {
        return s.slot(type).firing;
    }

    /** The condition holds this step: a firing alert stays, however long it has been healthy before. */
    static void hold(Step st, AlertType type) {
        AlertSlot slot = st.state.slot(type);
        if (slot != AlertSlot.NONE) { // one that never fired has counted no healthy steps
            slot.healthySteps = 0;
        }
    }

    /**
     * A healthy step for {@code type}: counts towards resolving a firing alert, and resolves it once
     * enough in a row have passed. True when it resolved.
     */
    boolean recover(Step st, AlertType type) {
        AlertSlot slot = st.state.slot(type);
        if (slot.firing && ++slot.healthySteps >= config.resolveSteps()) {
            resolve(st, type);
            return true;
        }
        return false;
    }

    /** Fires {@code type}, diagnosed; the caller has checked that it is not firing yet. */
    void fire(Step st, AlertType type, Severity severity, long onset, LinearFit fit, AlertEvent.Forecast forecast) {
        RunState s = st.state;
        AlertSlot slot = s.slotToWrite(type);
        slot.firing = true;
        slot.onsetStep = onset;
        slot.firedAtStep = st.step();
        slot.healthySteps = 0;
        AlertEvent.Fit f = fit == null ? null : new AlertEvent.Fit(fit.n(), fit.slope(), fit.doublingSteps(), fit.r2());
        AlertEvent.Diagnosis d = diagnoser.diagnose(type, s, st.event, fit, onset);
        slot.severity = (byte) severity.ordinal();
        slot.cause = (byte) d.cause().ordinal();
        slot.confidencePercent = (byte) Math.round(Math.max(0, Math.min(1, d.confidence())) * 100);
        st.add(new AlertEvent(
                1,
                AlertEvent.alertId(st.event.runId(), type, onset, s.attempt()),
                st.event.runId(),
                type,
                AlertStatus.FIRING,
                severity,
                st.step(),
                onset,
                st.eventTime,
                st.now,
                f,
                forecast,
                d));
    }

    void resolve(Step st, AlertType type) {
        resolve(
                st,
                type,
                "no " + type + " condition for " + st.state.slot(type).healthySteps + " steps, up to step "
                        + st.step());
    }

    private void resolve(Step st, AlertType type, String why) {
        RunState s = st.state;
        AlertSlot slot = s.slot(type);
        slot.firing = false;
        slot.healthySteps = 0;
        // same severity and cause as the firing: receivers (Alertmanager) match a resolve to its firing by labels
        Severity severity = Severity.values()[Math.min(slot.severity, Severity.values().length - 1)];
        Cause cause = slot.cause < Cause.values().length ? Cause.values()[slot.cause] : Cause.UNKNOWN;
        AlertEvent.Diagnosis d = new AlertEvent.Diagnosis(
                cause, slot.confidencePercent / 100.0, List.of(why), "Resolved; nothing to do unless it fires again.");
        st.add(new AlertEvent(
                1,
                AlertEvent.alertId(st.event.runId(), type, slot.onsetStep, s.attempt()),
                st.event.runId(),
                type,
                AlertStatus.RESOLVED,
                severity,
                st.step(),
                slot.onsetStep,
                st.eventTime,
                st.now,
                null,
                null,
                d));
    }

    /** Resolves every alert that fires, saying why: the run started over, or rolled back. */
    void resolveAll(Step st, String why) {
        for (AlertType t : AlertType.values()) {
            if (st.state.slot(t).firing) {
                resolve(st, t, why);
            }
        }
    }

    /** Steps until the fitted loss reaches the ceiling at the fitted rate; infinite when not growing. */
    AlertEvent.Forecast forecast(LinearFit fit) {
        double steps =
                fit.slope() > 0 ? Math.max(0, (lnCeiling - fit.fittedLast()) / fit.slope()) : Double.POSITIVE_INFINITY;
        return new AlertEvent.Forecast(Math.rint(steps), config.ceiling());
    }
}
