package io.losswatch.monitor.detect;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Severity;
import io.losswatch.events.StepEvent;
import io.losswatch.monitor.fit.LinearFit;
import io.losswatch.monitor.fit.RollingFit;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides, one step at a time, whether a run is diverging. Pure: no Kafka, no clocks of its own,
 * the same inputs give the same alerts, so the benchmark, the unit tests and the stream all run
 * exactly this code.
 *
 * <p>Exponential growth is a straight line in ln(loss) against step. Two windows are fitted by least
 * squares with running sums: a short one catches sudden blow-ups, a long one slow steady growth. A
 * window counts as growing only when the slope, the R^2, the total rise over the window, and the
 * order of its thirds all agree, for {@code confirmSteps} steps in a row: a single spike, a schedule
 * restart or noise fails at least one of those.
 */
public final class Detector {

    /** What happened to one step event. */
    public enum Outcome { ACCEPTED, STALE_STEP, NEW_ATTEMPT }

    /**
     * @param outcome whether the step was used
     * @param alerts firing or resolved alerts this step produced (often empty)
     * @param fit the fit the growth decision is based on (the short window, or the long one when it grows)
     */
    public record Result(Outcome outcome, List<AlertEvent> alerts, LinearFit fit) {}

    private final DetectorConfig config;
    private final Diagnoser diagnoser = new Diagnoser();

    public Detector(DetectorConfig config) {
        this.config = config;
    }

    public DetectorConfig config() {
        return config;
    }

    public RunState newState() {
        return new RunState(config);
    }

    /**
     * @param eventTime when the step ran (from the event, or the record timestamp)
     * @param now the decision time written into {@code detected_at}
     */
    public Result onStep(RunState s, StepEvent e, Instant eventTime, Instant now) {
        List<AlertEvent> alerts = new ArrayList<>(0);
        Outcome outcome = Outcome.ACCEPTED;
        if (s.lastStep >= 0 && e.step() <= s.lastStep) {
            if (e.step() == 0 && s.lastStep > 0) {
                resolveAll(s, e, eventTime, now, alerts); // the job restarted: close what the old attempt raised
                s.startNewAttempt();
                outcome = Outcome.NEW_ATTEMPT;
            } else {
                return new Result(Outcome.STALE_STEP, List.of(), LinearFit.EMPTY);
            }
        }
        if (s.firstStep < 0) {
            s.firstStep = e.step();
        }
        s.lastStep = e.step();
        s.processedSteps++;
        s.lastSeenMillis = now.toEpochMilli();
        track(s, e);

        // ---- non-finite loss: immediate
        RunState.Slot nf = s.slot(AlertType.LOSS_NON_FINITE);
        if (!Double.isFinite(e.loss())) {
            if (s.firstNonFiniteStep < 0) {
                s.firstNonFiniteStep = e.step();
            }
            nf.healthySteps = 0;
            if (!nf.firing) {
                fire(s, AlertType.LOSS_NON_FINITE, Severity.CRITICAL, s.firstNonFiniteStep, e, eventTime, now,
                        null, alerts);
            }
            return new Result(outcome, alerts, s.shortLoss.fit());
        }
        s.firstNonFiniteStep = -1;
        if (nf.firing && ++nf.healthySteps >= config.resolveSteps()) {
            resolve(s, AlertType.LOSS_NON_FINITE, e, eventTime, now, alerts);
        }

        // ---- exponential growth of the loss
        LinearFit fit = s.shortLoss.fit();
        if (e.loss() > 0) {
            double y = Math.log(e.loss());
            s.shortLoss.add(e.step(), y);
            s.longLoss.add(e.step(), y);
            fit = s.shortLoss.fit();
            LinearFit longFit = s.longLoss.fit();
            boolean shortGrows = grows(s.shortLoss, fit, config.shortMinRate(), config.shortMinR2());
            boolean longGrows = grows(s.longLoss, longFit, config.longMinRate(), config.longMinR2());
            LinearFit used = shortGrows ? fit : longGrows ? longFit : fit;
            RunState.Slot g = s.slot(AlertType.LOSS_EXPONENTIAL_GROWTH);
            if (shortGrows || longGrows) {
                s.growthStreak++;
                g.healthySteps = 0;
                if (!g.firing && s.growthStreak >= config.confirmSteps()) {
                    long onset = onset(s.longLoss); // it holds the short window's points and older ones
                    // report the rate of the growth itself, not diluted by the steps before it began
                    LinearFit since = s.longLoss.fitFrom(onset);
                    if (since.slope() > used.slope()) {
                        used = since;
                    }
                    Severity sev = used.doublingSteps() <= config.criticalDoublingSteps()
                            ? Severity.CRITICAL : Severity.WARNING;
                    fire(s, AlertType.LOSS_EXPONENTIAL_GROWTH, sev, onset, e, eventTime, now, used, alerts);
                }
            } else {
                s.growthStreak = 0;
                if (g.firing && ++g.healthySteps >= config.resolveSteps()) {
                    resolve(s, AlertType.LOSS_EXPONENTIAL_GROWTH, e, eventTime, now, alerts);
                }
            }
            fit = used;
        }
        return new Result(outcome, alerts, fit);
    }

    private void track(RunState s, StepEvent e) {
        if (e.learningRate() != null && Double.isFinite(e.learningRate())) {
            double lr = e.learningRate();
            if (Double.isNaN(s.minLearningRate) || lr < s.minLearningRate) {
                s.minLearningRate = lr;
            }
            if (!Double.isNaN(s.lastLearningRate) && lr > s.lastLearningRate * 1.5) {
                s.learningRateRiseStep = e.step();
            }
            s.lastLearningRate = lr;
        }
        if (e.updateRatio() != null && Double.isFinite(e.updateRatio())) {
            // decays so that one old large update does not colour a diagnosis forever
            double prev = Double.isNaN(s.recentMaxUpdateRatio) ? 0 : s.recentMaxUpdateRatio * 0.98;
            s.recentMaxUpdateRatio = Math.max(prev, e.updateRatio());
        }
        if (e.gradNorm() != null && e.gradNorm() > 0 && Double.isFinite(e.gradNorm())) {
            s.longGrad.add(e.step(), Math.log(e.gradNorm()));
        }
        String opt = e.labels().get("optimizer");
        if (opt != null && opt.length() <= 64) {
            s.optimizer = opt;
        }
    }

    /** Sustained and consistent growth over a full window. */
    boolean grows(RollingFit w, LinearFit f, double minRate, double minR2) {
        if (!w.isFull() || f.slope() < minRate || f.r2() < minR2) {
            return false;
        }
        double span = w.newestStep() - w.stepAt(0);
        if (f.slope() * span < Math.log(config.minRiseFactor())) {
            return false;
        }
        int n = w.size();
        int third = n / 3;
        double a = w.mean(0, third);
        double b = w.mean(third, n - third);
        double c = w.mean(n - third, n);
        // the newest loss must really be above the window's low point, not only the fitted line
        return a < b && b < c && w.newestValue() - w.min() >= Math.log(config.minRiseFactor()) * 0.5;
    }

    /** Where the growth began: the last low point of the window before the climb. */
    static long onset(RollingFit w) {
        int best = 0;
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < w.size(); i++) {
            if (w.valueAt(i) <= min) {
                min = w.valueAt(i);
                best = i;
            }
        }
        return w.stepAt(best);
    }

    private void fire(RunState s, AlertType type, Severity severity, long onset, StepEvent e, Instant eventTime,
            Instant now, LinearFit fit, List<AlertEvent> out) {
        RunState.Slot slot = s.slot(type);
        slot.firing = true;
        slot.onsetStep = onset;
        slot.firedAtStep = e.step();
        slot.healthySteps = 0;
        AlertEvent.Fit f = fit == null ? null
                : new AlertEvent.Fit(fit.n(), fit.slope(), fit.doublingSteps(), fit.r2());
        AlertEvent.Forecast forecast = fit == null ? null : forecast(fit);
        out.add(new AlertEvent(1, AlertEvent.alertId(e.runId(), type, onset), e.runId(), type, AlertStatus.FIRING,
                severity, e.step(), onset, eventTime, now, f, forecast,
                diagnoser.diagnose(type, s, e, fit, onset)));
    }

    private void resolve(RunState s, AlertType type, StepEvent e, Instant eventTime, Instant now,
            List<AlertEvent> out) {
        RunState.Slot slot = s.slot(type);
        slot.firing = false;
        slot.healthySteps = 0;
        out.add(new AlertEvent(1, AlertEvent.alertId(e.runId(), type, slot.onsetStep), e.runId(), type,
                AlertStatus.RESOLVED, Severity.WARNING, e.step(), slot.onsetStep, eventTime, now, null, null, null));
    }

    private void resolveAll(RunState s, StepEvent e, Instant eventTime, Instant now, List<AlertEvent> out) {
        for (AlertType t : AlertType.values()) {
            if (s.slot(t).firing) {
                resolve(s, t, e, eventTime, now, out);
            }
        }
    }

    /** Steps until the fitted loss reaches the ceiling at the fitted rate; infinite when not growing. */
    public AlertEvent.Forecast forecast(LinearFit fit) {
        double steps = fit.slope() > 0
                ? Math.max(0, (Math.log(config.ceiling()) - fit.fittedLast()) / fit.slope())
                : Double.POSITIVE_INFINITY;
        return new AlertEvent.Forecast(Math.rint(steps), config.ceiling());
    }
}
