package io.losswatch.detector;

import io.losswatch.detector.fit.LinearFit;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.RestartReason;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.List;

/**
 * Decides, one step at a time, whether a run is diverging. Pure: no Kafka, no clocks of its own,
 * the same inputs give the same alerts, so the benchmark, the unit tests and the stream all run
 * exactly this code.
 *
 * <p>One rule per alert type, each with its own part of the run state, run in a fixed order; a rule
 * reads what the rules before it decided this step, and what those after it decided the step before:
 * <ol>
 * <li>{@link NonFiniteLossRule}: a NaN or infinite loss, at once; the loss rules below then skip the step.
 * <li>{@link BlowupRule}, its jump test against the steps before; then the point joins the {@link LossSeries}
 *     and the blow-up rule judges the climbs (not while the growth alert fires);
 * <li>{@link GrowthRule}: exponential growth of the loss, with warm restarts planned from the learning rate;
 * <li>{@link CollapseRule}: the loss pinned at chance level after a blow-up or with dead gradients;
 * <li>{@link GradientRule}: the gradient norm exploding, or overflowing;
 * <li>{@link ValidationRule}: validation loss climbing while training loss falls.
 * </ol>
 * {@link AlertLifecycle} fires, holds and resolves for all of them; {@link RunFacts} holds what they share.
 *
 * <p>Work per step is O(1) on the common path: running sums, and the O(window) checks only once the
 * O(1) ones have passed.
 */
public final class Detector {

    /** What happened to one step event. */
    public enum Outcome {
        ACCEPTED,
        STALE_STEP,
        NEW_ATTEMPT,
        /** The first step after a rollback ({@code resumed_from}): the run is judged afresh from here. */
        RESUMED
    }

    /**
     * @param outcome whether the step was used
     * @param alerts firing or resolved alerts this step produced (often empty)
     * @param fit the loss fit the growth decision is based on (the short window, or the one that grows)
     */
    public record Result(Outcome outcome, List<AlertEvent> alerts, LinearFit fit) {}

    private final DetectorConfig config;
    private final AlertLifecycle lifecycle;
    private final NonFiniteLossRule nonFiniteLoss;
    private final BlowupRule blowup;
    private final GrowthRule growth;
    private final CollapseRule collapse;
    private final GradientRule gradient;
    private final ValidationRule validation;

    public Detector(DetectorConfig config) {
        this.config = config;
        Thresholds t = new Thresholds(config);
        this.lifecycle = new AlertLifecycle(config, new Diagnoser(config));
        this.nonFiniteLoss = new NonFiniteLossRule(lifecycle);
        this.blowup = new BlowupRule(config, t, lifecycle);
        this.growth = new GrowthRule(config, t, lifecycle);
        this.collapse = new CollapseRule(config, t, lifecycle);
        this.gradient = new GradientRule(config, t, lifecycle);
        this.validation = new ValidationRule(config, t, lifecycle);
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
        Step st = new Step(s, e, eventTime, now);
        Outcome outcome = Outcome.ACCEPTED;
        if (e.resumedFrom() != null && s.facts.lastStep >= 0) {
            // the trainer went back to the weights of step resumedFrom: what its alerts described is gone, and the
            // windows hold the abandoned trajectory; the step numbers may go on or go back
            lifecycle.resolveAll(st, RestartReason.rolledBack(e.resumedFrom(), e.step()));
            s.resume();
            outcome = Outcome.RESUMED;
        } else if (s.facts.lastStep >= 0 && e.step() <= s.facts.lastStep) {
            if (e.step() == 0 && s.facts.lastStep > 0) {
                // the job restarted: close what the old attempt raised
                lifecycle.resolveAll(st, RestartReason.startedOver(e.step()));
                s.startNewAttempt();
                outcome = Outcome.NEW_ATTEMPT;
            } else {
                return new Result(Outcome.STALE_STEP, List.of(), LinearFit.EMPTY);
            }
        }
        s.facts.accept(e, now.toEpochMilli());
        track(s, e);

        if (!nonFiniteLoss.onStep(st)) {
            return new Result(
                    outcome,
                    st.alerts(),
                    s.loss.raw.fitNewest(config.growth().shortScale().points()));
        }
        s.facts.recordLoss(e.loss(), e.step());
        LinearFit fit = LinearFit.EMPTY;
        if (e.loss() < 0) {
            blowup.belowZero(st);
        }
        if (e.loss() > 0) {
            double y = Math.log(e.loss());
            if (Double.isNaN(s.facts.chanceLn) && s.loss.raw.size() == 0 && e.step() <= 1) {
                s.facts.estimateChance(y); // a classifier starts at chance level: ln(number of classes)
            }
            boolean climbsMayFire = blowup.beforePoint(st, y);
            boolean blockClosed = s.loss.add(e.step(), y);
            blowup.afterPoint(st, climbsMayFire);
            fit = growth.onPoint(st, y, blockClosed);
            collapse.onPoint(st);
        }
        Double g = e.gradNorm();
        if (g != null && g > 0 && Double.isFinite(g)) {
            gradient.onGradient(st, Math.log(g));
        }
        if (GradientRule.nonFinite(g) || GradientRule.nonFinite(e.paramNorm())) {
            gradient.onNonFinite(st, GradientRule.nonFinite(g));
        }
        Double v = e.valLoss();
        if (v != null && v > 0 && Double.isFinite(v)) {
            validation.onValidation(st, Math.log(v));
        }
        return new Result(outcome, st.alerts(), fit);
    }

    /** The shared facts of the step, before any rule judges it. */
    private void track(RunState s, StepEvent e) {
        RunFacts f = s.facts;
        Double lrBox = e.learningRate();
        if (lrBox != null && Double.isFinite(lrBox) && lrBox > 0) {
            double lr = lrBox;
            boolean atOnce = f.isRise(lr);
            if (atOnce) {
                // back up to a rate this run already trained at: a warm restart, its bump is planned
                boolean planned = f.isKnownLevel(lr) && growth.planRestartBump(s, e.step());
                if (!planned) {
                    f.learningRateRoseAt(e.step(), lr);
                }
            } else if (f.climbsToNewLevel(lr)) {
                f.learningRateClimbedTo(e.step(), lr); // step by step, as far as a jump would have gone
            }
            f.recordLearningRate(lr, e.step(), atOnce);
            f.positiveLearningRate();
        } else if (lrBox != null && Double.isFinite(lrBox)) {
            f.recordNonPositiveLearningRate(lrBox, e.step());
        }
        Double ur = e.updateRatio();
        if (ur != null && Double.isFinite(ur)) {
            f.recordUpdateRatio(ur);
        }
        if (!e.labels().isEmpty()) {
            f.recordLabels(e);
        }
    }
}
