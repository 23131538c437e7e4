package io.losswatch.detector;

import io.losswatch.detector.fit.LinearFit;
import io.losswatch.detector.fit.RollingFit;
import io.losswatch.events.AlertEvent.Diagnosis;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.StepEvent;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Names the likely cause of an alert from what the step events carry, first rule that applies:
 * <ol>
 * <li>the newest learning rate sent below zero: LEARNING_RATE_NEGATIVE (each step climbs the loss);
 * <li>a loss below zero at 1000x the size of the first losses (20x while it falls at a steady pace), or on
 *     from there to minus infinity:
 *     UNKNOWN, with the advice to check how the loss is computed (it has no lower bound);
 * <li>validation loss running away while training loss falls: INSUFFICIENT_REGULARIZATION; when it
 *     jumped instead (most of a 2x rise from one validation to the next) with the training loss near its
 *     lowest: LEARNING_RATE_TOO_HIGH if the rate rose to a new level since, else DATA_ISSUE; with the training
 *     loss risen too, DATA_ISSUE when the rate is sent and not high, else UNKNOWN;
 * <li>update ratio above 0.1 or the learning rate raised to a new level just before the onset (at once,
 *     or step by step to twice where its climb began): LEARNING_RATE_TOO_HIGH;
 * <li>a momentum (labels.momentum: SGD's or RMSprop's, or Adam's beta1) above 0.99: UNSTABLE_OPTIMIZER;
 * <li>an Adam-like optimizer's beta2 (labels.beta2) so low for its beta1 that beta1^2 / sqrt(beta2) is 1 or
 *     more (Adam's convergence asks less than 1): UNSTABLE_OPTIMIZER;
 * <li>a non-finite loss out of a steady run (no growth, no jump before it): DATA_ISSUE (a bad batch);
 * <li>trouble within the first 20 steps (of a per-epoch series: at its first epoch): LEARNING_RATE_TOO_HIGH;
 * <li>a blow-up of one batch at a known, unraised learning rate, that batch's gradient out of line: DATA_ISSUE;
 * <li>dead units (a collapse, or the loss growing while the gradient norm falls) at a learning rate
 *     high for the optimizer: LEARNING_RATE_TOO_HIGH;
 * <li>plain SGD with the loss zig-zagging step to step: UNSTABLE_OPTIMIZER;
 * <li>any other trouble at a learning rate high for the optimizer: LEARNING_RATE_TOO_HIGH;
 * <li>the loss grew or jumped while the gradient norm did not: DATA_ISSUE;
 * <li>else UNKNOWN: the evidence is too thin to guess.
 * </ol>
 * Each rule adds the numbers it used to the evidence.
 *
 * <p>Longer than most files here on purpose: the order of the causes above is one decision, and the
 * evidence each alert type describes is read next to it; split, a reader would follow the order
 * across files.
 */
final class Diagnoser {
    static final double HIGH_UPDATE_RATIO = 0.1;
    /**
     * A momentum (or Adam's beta1) above this: 0.99 is the highest in common use; at 0.999 each step
     * carries the gradients of about a thousand before it, and at 1 or more the velocity never decays.
     */
    static final double HIGH_MOMENTUM = 0.99;
    /**
     * Adam's convergence (Kingma and Ba, 2015, theorem 4.1) asks beta1^2 / sqrt(beta2) below this: with
     * beta1 0.9, a beta2 under 0.656. The second moment then forgets faster than the first, and where the
     * gradients shrink for a step or two the first moment is divided by a small root.
     */
    static final double ADAM_BETAS_LIMIT = 1.0;

    static final int EARLY_STEPS = 20;
    /** A learning-rate rise explains trouble noticed up to this many steps later. */
    static final int RISE_HORIZON = 512;
    /** ln of how far above its lowest (1.25x) the training loss may be for a validation jump to be the data's. */
    static final double JUMP_TRAIN_RISE = Math.log(1.25);
    /** ln of the least rise worth a percentage (0.1%) in the evidence. */
    static final double MIN_SHOWN_RISE = Math.log(1.001);
    /** A step-to-step zig-zag of ln(loss) at least this large, and this large against the noise. */
    static final double OSCILLATION_AMPLITUDE = 0.1;

    static final double OSCILLATION_RATIO = 0.5;

    private final DetectorConfig config;

    Diagnoser(DetectorConfig config) {
        this.config = config;
    }

    Diagnosis diagnose(AlertType type, RunState s, StepEvent e, LinearFit fit, long onset) {
        List<String> ev = new ArrayList<>();
        describe(type, s, e, fit, onset, ev);

        if (s.facts.learningRateNegative()) {
            ev.add(String.format(
                    Locale.ROOT,
                    "learning_rate is %.3g, below zero (0 or less since step %d): each step climbs the loss",
                    s.facts.nonPositiveLearningRate,
                    s.facts.nonPositiveSince));
            return new Diagnosis(
                    Cause.LEARNING_RATE_NEGATIVE,
                    0.9,
                    ev,
                    "Fix the learning-rate schedule: a rate below zero turns descent into ascent (a decay run past "
                            + "its end, or without a floor at 0; a sign flipped). Roll back to a checkpoint from before "
                            + "step " + s.facts.nonPositiveSince + ".");
        }
        if (s.facts.unboundedBelow(e.loss())) {
            if (type != AlertType.LOSS_BLOWUP) {
                ev.add(unboundedEvidence(s, e));
            }
            return new Diagnosis(
                    Cause.UNKNOWN,
                    0.7,
                    ev,
                    "Check how the loss is computed: it has no lower bound (NLLLoss expects log-probabilities, apply "
                            + "log_softmax first; a sign flipped; a term that rewards ever larger outputs, or a learned "
                            + "weight without end, as a log-variance subtracted where it belongs added). Roll back to a "
                            + "checkpoint from before step " + s.facts.negativeLossSince + ".");
        }
        if (type == AlertType.VALIDATION_DIVERGENCE) {
            return validation(s, ev, onset);
        }
        if (!Double.isNaN(s.facts.recentMaxUpdateRatio) && s.facts.recentMaxUpdateRatio > HIGH_UPDATE_RATIO) {
            ev.add(String.format(
                    Locale.ROOT,
                    "update_ratio %.3g > %.1f: each step moves the weights by a large fraction",
                    s.facts.recentMaxUpdateRatio,
                    HIGH_UPDATE_RATIO));
            return learningRate(0.8, ev, s, "");
        }
        if (s.facts.learningRateRiseStep >= 0
                && s.facts.learningRateRiseStep >= onset - 64
                && e.step() - s.facts.learningRateRiseStep <= RISE_HORIZON) {
            return learningRate(0.75, ev, s, describeRise(s, ev));
        }
        if (s.facts.momentum > HIGH_MOMENTUM) {
            String m = plain(s.facts.momentum);
            ev.add(
                    s.facts.momentum >= 1
                            ? "momentum " + m
                                    + ": the optimizer's velocity never decays, each step adds to all before it"
                            : String.format(
                                    Locale.ROOT,
                                    "momentum %s: each step carries the gradients of about %.0f steps before it",
                                    m,
                                    1 / (1 - s.facts.momentum)));
            return new Diagnosis(
                    Cause.UNSTABLE_OPTIMIZER,
                    0.7,
                    ev,
                    "Lower the momentum to 0.9 (Adam: beta1 0.9): above 0.99 the optimizer overshoots and swings; "
                            + "with momentum, the step is about the learning rate / (1 - momentum).");
        }
        if (betasTooFarApart(s.facts)) {
            ev.add(String.format(
                    Locale.ROOT,
                    "beta2 %s with beta1 %s: beta1^2 / sqrt(beta2) is %.2f, where Adam's convergence asks less than 1 "
                            + "(the second moment averages about %.0f steps, the first about %.0f)",
                    plain(s.facts.beta2),
                    plain(s.facts.momentum),
                    s.facts.momentum * s.facts.momentum / Math.sqrt(s.facts.beta2),
                    1 / (1 - s.facts.beta2),
                    1 / (1 - s.facts.momentum)));
            return new Diagnosis(
                    Cause.UNSTABLE_OPTIMIZER,
                    0.7,
                    ev,
                    "Raise beta2 to 0.999 (0.95-0.98 where large models train with it): with beta2 this low the "
                            + "second moment follows each batch, and where the gradients shrink a step comes out many "
                            + "times the learning rate.");
        }
        if (type == AlertType.LOSS_NON_FINITE && quietBefore(s, onset)) {
            ev.add("the loss was steady right before (no growth, no jump, not the first steps)");
            return new Diagnosis(
                    Cause.DATA_ISSUE,
                    0.5,
                    ev,
                    "Look for one bad batch: NaN or infinite inputs, log(0) or a division by zero in the loss; "
                            + "check batches for finite values and skip the bad ones.");
        }
        boolean high = highForOptimizer(s);
        if (early(s, onset)) {
            ev.add(String.format(
                    Locale.ROOT,
                    "the trouble began at step %d, %s%s",
                    onset,
                    s.facts.perEpoch ? "the first epoch" : "within the first " + EARLY_STEPS + " steps",
                    Double.isNaN(s.facts.lastLearningRate)
                            ? ""
                            : String.format(
                                    Locale.ROOT,
                                    ", at learning rate %.3g%s",
                                    s.facts.lastLearningRate,
                                    high ? " (high for " + optimizerName(s) + ")" : "")));
            // at a rate usual for the optimizer, inputs on the wrong scale blow up the first steps the same way
            return learningRate(
                    high ? 0.75 : 0.6,
                    ev,
                    s,
                    high || Double.isNaN(s.facts.lastLearningRate)
                            ? ""
                            : " At a rate not unusual for " + optimizerName(s)
                                    + ", inputs on the wrong scale do the same: check that they are normalised with "
                                    + "the training set's statistics (no constant or near-constant feature divided by "
                                    + "its tiny spread).");
        }
        if (oneBadBatch(type, s, e, onset, ev)) {
            return new Diagnosis(
                    Cause.DATA_ISSUE,
                    0.6,
                    ev,
                    String.format(
                            Locale.ROOT,
                            "One batch set it off: look at the batch of step %d (inputs far out of range, corrupt records, "
                                    + "a missed normalization); roll back to a checkpoint before it and skip that batch.",
                            onset));
        }
        if (high && (type == AlertType.TRAINING_COLLAPSED || gradientFalls(type, s, fit, onset, ev))) {
            ev.add(String.format(
                    Locale.ROOT,
                    "learning rate %.3g is high for %s: ReLUs die after a too large step",
                    s.facts.lastLearningRate,
                    optimizerName(s)));
            return learningRate(
                    0.55, ev, s, " Dead units do not come back: restart from a checkpoint before the collapse.");
        }
        if (isPlainSgd(s.facts.optimizer) && oscillating(s.loss.raw, onset, ev)) {
            return new Diagnosis(
                    Cause.UNSTABLE_OPTIMIZER,
                    0.6,
                    ev,
                    "Plain SGD is oscillating: add momentum 0.9 (or use Adam at lr 1e-3), lower the learning rate 2-5x "
                            + "or decay it, clip gradients.");
        }
        if (high) {
            ev.add(String.format(
                    Locale.ROOT, "learning rate %.3g is high for %s", s.facts.lastLearningRate, optimizerName(s)));
            return learningRate(0.5, ev, s, "");
        }
        if (lossWithoutGradient(type, s, e, fit, onset, ev)) {
            return new Diagnosis(
                    Cause.DATA_ISSUE,
                    0.55,
                    ev,
                    "The gradients did not change while the loss did: check the input pipeline (label corruption, a "
                            + "changed or drifting data source, NaN or huge inputs, shuffling).");
        }
        return new Diagnosis(
                Cause.UNKNOWN,
                0.3,
                ev,
                "Lower the learning rate, clip gradients, and check the last data batches for bad values."
                        + missing(s));
    }

    /**
     * A validation divergence: overfitting when the validation loss climbed; when it jumped (most of a
     * 2x rise from one validation to the next, {@link ValidationTracker#sudden}) with the training loss
     * within {@link #JUMP_TRAIN_RISE} of its lowest, the learning rate if it rose to a new level since the
     * lowest validation, else the data; a jump with the training loss further up is left unknown.
     */
    private static Diagnosis validation(RunState s, List<String> ev, long onset) {
        ValidationTracker v = s.validation;
        if (!(v.far && v.sudden)) {
            return new Diagnosis(
                    Cause.INSUFFICIENT_REGULARIZATION,
                    0.8,
                    ev,
                    String.format(
                            Locale.ROOT,
                            "Add regularization (weight decay 1e-4 to 5e-4, dropout 0.2-0.5, data augmentation) or more data; "
                                    + "stop early or restore the checkpoint from step %d, where val_loss was lowest.",
                            onset));
        }
        if (s.facts.learningRateRiseStep >= onset) {
            return learningRate(0.6, ev, s, describeRise(s, ev));
        }
        // the two validations the jump came between
        long from = v.values.stepAt(v.jumpFrom());
        long to = v.values.stepAt(v.jumpFrom() + 1);
        if (v.trainRiseLn > JUMP_TRAIN_RISE && !v.trainFarBelow) {
            // the training loss rose with it: the inputs, when the rate sent was not raised and is not high
            if (!Double.isNaN(s.facts.lastLearningRate) && !highForOptimizer(s)) {
                ev.add(String.format(
                        Locale.ROOT,
                        "the learning rate at %.3g, not raised to a new level since step %d: both losses moved "
                                + "with the inputs, not with the step size",
                        s.facts.lastLearningRate,
                        onset));
                return new Diagnosis(
                        Cause.DATA_ISSUE,
                        0.45,
                        ev,
                        String.format(
                                Locale.ROOT,
                                "The validation loss jumped between steps %d and %d and the training loss rose with it, "
                                        + "the learning rate not raised: check whether the inputs changed then (units, "
                                        + "scale, masking, a transform, the classes drawn). Restore the checkpoint from "
                                        + "step %d, where val_loss was lowest.",
                                from,
                                to,
                                onset));
            }
            return new Diagnosis(
                    Cause.UNKNOWN,
                    0.3,
                    ev,
                    String.format(
                            Locale.ROOT,
                            "The validation loss jumped between steps %d and %d and the training loss rose too: check "
                                    + "the inputs of that stretch and the learning rate; restore the checkpoint from "
                                    + "step %d, where val_loss was lowest.",
                            from,
                            to,
                            onset));
        }
        return new Diagnosis(
                Cause.DATA_ISSUE,
                0.5,
                ev,
                String.format(
                        Locale.ROOT,
                        "The validation loss jumped between steps %d and %d while the training loss stayed %s: not "
                                + "overfitting, which is gradual. Check whether the inputs changed then (units, scale, "
                                + "source) or how batches are drawn (a loader that stopped shuffling, or repeats one batch); "
                                + "with BatchNorm, one bad batch in that stretch can also throw off its running "
                                + "statistics. Restore the checkpoint from step %d, where val_loss was lowest.",
                        from,
                        to,
                        v.trainRiseLn > JUMP_TRAIN_RISE ? "far under it" : "near its lowest",
                        onset));
    }

    /** The learning rate's last rise to a new level, as evidence; returns the hint for the suggestion. */
    private static String describeRise(RunState s, List<String> ev) {
        double level =
                Double.isNaN(s.facts.learningRateRiseLevel) ? s.facts.lastLearningRate : s.facts.learningRateRiseLevel;
        if (s.facts.roseByClimb()) {
            ev.add(String.format(
                    Locale.ROOT,
                    "the learning rate climbed %.1fx since step %d, from %.3g to %.3g at step %d, a level the run never had",
                    level / s.facts.learningRateRiseFrom,
                    s.facts.learningRateRiseFromStep,
                    s.facts.learningRateRiseFrom,
                    level,
                    s.facts.learningRateRiseStep));
            return String.format(
                    Locale.ROOT,
                    " Its climb from step %d set it off: stop the ramp or warm-up well below that level.",
                    s.facts.learningRateRiseFromStep);
        }
        ev.add(String.format(
                Locale.ROOT,
                "the learning rate rose to %.3g, a level the run never had, at step %d",
                level,
                s.facts.learningRateRiseStep));
        return String.format(
                Locale.ROOT,
                " The rise at step %d set it off: keep the schedule below that level.",
                s.facts.learningRateRiseStep);
    }

    /** Which of the fields the diagnosis uses the run does not send, as a hint to send them. */
    private static String missing(RunState s) {
        List<String> m = new ArrayList<>();
        if (Double.isNaN(s.facts.lastLearningRate)) {
            m.add("learning_rate");
        }
        if (Double.isNaN(s.facts.recentMaxUpdateRatio)) {
            m.add("update_ratio");
        }
        if (s.gradient.points() == 0) {
            m.add("grad_norm");
        }
        if (s.facts.optimizer.isEmpty()) {
            m.add("an optimizer label");
        }
        return m.isEmpty() ? "" : " Sending " + String.join(", ", m) + " would let Losswatch name a cause.";
    }

    private void describe(AlertType type, RunState s, StepEvent e, LinearFit fit, long onset, List<String> ev) {
        switch (type) {
            case LOSS_NON_FINITE -> ev.add("loss was " + e.loss() + " at step " + e.step());
            case LOSS_EXPONENTIAL_GROWTH ->
                ev.add(String.format(
                        Locale.ROOT,
                        "loss doubled every %.1f steps over %d points since step %d (R^2 %.2f)",
                        fit.doublingSteps(),
                        fit.n(),
                        onset,
                        fit.r2()));
            case LOSS_BLOWUP -> {
                if (s.facts.unboundedBelow(e.loss())) {
                    ev.add(unboundedEvidence(s, e));
                    return;
                }
                JumpTracker jt = s.blowup.jump;
                // a move over several steps (a climb, a level that moved) rose from the onset; one step jumped at it
                String jumped = String.format(
                        Locale.ROOT,
                        jt.oneStep()
                                ? "loss jumped %sx above its level %.3g at step %d"
                                : "loss rose %sx above its level %.3g from step %d",
                        multiple(jt.peakLn() - jt.refLn()),
                        Math.exp(jt.refLn()),
                        onset);
                ev.add(
                        jt.atOnce()
                                ? jumped
                                : jumped + String.format(Locale.ROOT, " and stayed above %.3g", Math.exp(jt.stayLn())));
                // a level a few times chance is read against it; a loss thousands of times up needs no such reading
                double chance = s.facts.labelledChanceLn();
                if (jt.peakLn() - chance >= BlowupRule.LN_ABOVE_CHANCE && jt.peakLn() - chance < Math.log(10)) {
                    ev.add(String.format(
                            Locale.ROOT,
                            "at %.3g the loss is %s chance level %.3g (%d classes): the model does worse than guessing",
                            Math.exp(jt.peakLn()),
                            factor(jt.peakLn() - chance, "above", "below"),
                            Math.exp(chance),
                            Math.round(Math.exp(Math.exp(chance)))));
                }
            }
            case TRAINING_COLLAPSED -> {
                ev.add(String.format(
                        Locale.ROOT,
                        "loss has stayed at chance level %.3g for %d steps",
                        Math.exp(s.facts.chanceLn),
                        s.collapse.pinnedStreak()));
                long blowup = CollapseRule.blowupStep(s);
                // back at chance after it learned past any blow-up before: that is what to say, not the blow-up
                boolean learnedSince = CollapseRule.learnedDeep(s) && s.loss.recentLowStep() > blowup;
                if (blowup >= 0 && blowup <= onset && !learnedSince) {
                    ev.add(String.format(
                            Locale.ROOT,
                            blowup == s.blowup.jump.lastJumpStep()
                                    ? "after the blow-up at step %d"
                                    : "after the gradient explosion from step %d",
                            blowup));
                } else if (learnedSince) {
                    ev.add(String.format(
                            Locale.ROOT,
                            "after it had been down to %.3g at step %d: the model lost what it had learned",
                            Math.exp(s.loss.recentLowLn()),
                            s.loss.recentLowStep()));
                }
                if (s.gradient.points() >= config.gradient().earlyPoints()) {
                    double level = s.gradient
                            .series()
                            .meanNewest(config.gradientGrowth().shortScale().points());
                    double below = s.gradient.earlyLn() - level;
                    ev.add(String.format(
                            Locale.ROOT,
                            "grad_norm %.3g is %s its early level %.3g%s",
                            Math.exp(level),
                            factor(below, "below", "above"),
                            Math.exp(s.gradient.earlyLn()),
                            below >= Math.log(2) ? " (dead units)" : ""));
                }
            }
            case GRADIENT_EXPLOSION -> {
                if (GradientRule.nonFinite(e.gradNorm()) || GradientRule.nonFinite(e.paramNorm())) {
                    ev.add(
                            GradientRule.nonFinite(e.paramNorm())
                                    ? "param_norm was " + e.paramNorm() + " at step " + e.step()
                                            + ": the weights overflowed"
                                    : "grad_norm was " + e.gradNorm() + " at step " + e.step()
                                            + (s.gradient.nonFiniteGradStreak > 1
                                                    ? " (" + s.gradient.nonFiniteGradStreak + " steps in a row)"
                                                    : ""));
                    if (s.gradient.jump.lastJumpStep() >= 0) {
                        ev.add(String.format(
                                Locale.ROOT,
                                "after grad_norm jumped %.0fx at step %d",
                                Math.exp(s.gradient.jump.peakLn() - s.gradient.jump.refLn()),
                                s.gradient.jump.lastJumpStep()));
                    }
                } else if (fit != null) {
                    ev.add(String.format(
                            Locale.ROOT,
                            "grad_norm doubled every %.1f steps over %d points (R^2 %.2f)",
                            fit.doublingSteps(),
                            fit.n(),
                            fit.r2()));
                } else {
                    ev.add(String.format(
                            Locale.ROOT,
                            "grad_norm jumped %.0fx at step %d and stayed up",
                            Math.exp(s.gradient.jump.peakLn() - s.gradient.jump.refLn()),
                            onset));
                }
                if (s.gradient.series().size() > 0) {
                    ev.add(String.format(
                            Locale.ROOT,
                            "%sgrad_norm %.3g is %s its early level %.3g",
                            GradientRule.nonFinite(e.gradNorm()) ? "the last finite " : "",
                            Math.exp(s.gradient.series().newestValue()),
                            factor(s.gradient.series().newestValue() - s.gradient.earlyLn(), "above", "below"),
                            Math.exp(s.gradient.earlyLn())));
                }
            }
            case VALIDATION_DIVERGENCE -> {
                ValidationTracker v = s.validation;
                if (v.far) {
                    RollingFit vals = v.values;
                    int n = vals.size();
                    int ref = v.farRef();
                    ev.add(String.format(
                            Locale.ROOT,
                            "val_loss %.3g is %s its lowest %.3g at step %d, and was %s at the validation before",
                            Math.exp(vals.valueAt(n - 1)),
                            factor(vals.valueAt(n - 1) - vals.valueAt(ref), "above", "below"),
                            Math.exp(vals.valueAt(ref)),
                            vals.stepAt(ref),
                            factor(vals.valueAt(n - 2) - vals.valueAt(ref), "above", "below")));
                    String training = v.trainRiseLn < MIN_SHOWN_RISE
                            ? "training loss at its lowest of late"
                            : String.format(
                                    Locale.ROOT,
                                    "training loss %s its lowest level of late, reached by step %d",
                                    v.trainRiseLn < Math.log(2)
                                            ? percent(Math.exp(v.trainRiseLn) - 1) + " above"
                                            : factor(v.trainRiseLn, "above", "below"),
                                    s.loss.recentLowStep());
                    ev.add(
                            v.trainFarBelow && v.trainRiseLn > JUMP_TRAIN_RISE
                                    ? String.format(
                                            Locale.ROOT,
                                            "%s, yet at %.3g still under half the lowest val_loss",
                                            training,
                                            Math.exp(v.trainLn))
                                    : training);
                    return;
                }
                ev.add(String.format(
                        Locale.ROOT,
                        "val_loss (smoothed) rose %.0f%% from its minimum %.3g at step %d over %d validations",
                        100 * (Math.exp(v.smoothLn - v.bestLn) - 1),
                        Math.exp(v.bestLn),
                        v.bestStep,
                        v.sinceBest));
                ev.add(trainingSince(v));
            }
        }
    }

    /**
     * What the training loss did since the validation minimum, as the rule measured it: it fell, or
     * it rose by no more than its noise allows (said so, never as a negative fall).
     */
    static String trainingSince(ValidationTracker v) {
        double change = Math.exp(v.trainLn - v.trainAtBestLn) - 1;
        if (change <= 0) {
            return String.format(Locale.ROOT, "training loss fell %s over the same steps", percent(-change));
        }
        return String.format(
                Locale.ROOT,
                "training loss held: %s above its level then, within its noise (%s)",
                percent(change),
                percent(Math.exp(v.trainToleranceLn) - 1));
    }

    /** A factor from its ln, readable at any size: 12, 4300, 1.2e+09. */
    static String multiple(double lnRatio) {
        double r = Math.exp(lnRatio);
        return String.format(Locale.ROOT, r < 1e6 ? "%.0f" : "%.2g", r);
    }

    /** A non-negative share as a percentage, with a decimal below 10% so a small change does not read 0%. */
    static String percent(double share) {
        return String.format(Locale.ROOT, share < 0.1 ? "%.1f%%" : "%.0f%%", 100 * share);
    }

    /** {@code ln} of a ratio as "12x" above or below: never "0x" or a factor under 1 read as below. */
    static String factor(double lnRatio, String above, String below) {
        double r = Math.exp(Math.abs(lnRatio));
        return String.format(Locale.ROOT, r < 10 ? "%.1fx %s" : "%.0fx %s", r, lnRatio >= 0 ? above : below);
    }

    /**
     * Trouble from the very start of the run: within its first {@link #EARLY_STEPS} steps, or, for a
     * per-epoch series, at its first epoch (20 epochs are most of a run, not its start).
     */
    private static boolean early(RunState s, long onset) {
        if (s.facts.perEpoch) {
            return onset == s.facts.firstStep;
        }
        return s.facts.firstStep <= 1 && onset - s.facts.firstStep <= EARLY_STEPS;
    }

    /** No growth, no jump, no gradient trouble before a non-finite loss, and not at the very start. */
    private boolean quietBefore(RunState s, long onset) {
        if (early(s, onset)) {
            return false;
        }
        // "growing" as the growth detectors define it, which already allows for the run's noise
        return s.growth.growthStreak() == 0
                && !s.slot(AlertType.LOSS_EXPONENTIAL_GROWTH).firing()
                && !s.slot(AlertType.LOSS_BLOWUP).firing()
                && !s.slot(AlertType.GRADIENT_EXPLOSION).firing()
                && s.gradient.gradGrowthStreak == 0
                && (s.blowup.jump.lastJumpStep() < 0 || onset - s.blowup.jump.lastJumpStep() > 32);
    }

    /**
     * A blow-up that came in one batch, with the learning rate known and not raised before it (a rise
     * is named first), and the gradient of that batch out of line with the run's: at least the
     * gradient jump factor above its recent median, or not finite. A rate too high for the run climbs,
     * or blows up from the start; one batch that throws the loss and its gradient thousands of times
     * off at an unchanged rate is that batch's data.
     */
    private boolean oneBadBatch(AlertType type, RunState s, StepEvent e, long onset, List<String> ev) {
        JumpTracker jt = s.blowup.jump;
        if (type != AlertType.LOSS_BLOWUP
                || jt.jumpStep() != onset
                || !jt.oneStep()
                || Double.isNaN(s.facts.lastLearningRate)) {
            return false;
        }
        double gradientOff = batchGradientLn(s, e, onset);
        if (!(gradientOff >= Math.log(config.gradient().jump().jumpFactor()))) {
            return false;
        }
        ev.add(String.format(
                Locale.ROOT,
                "the loss jumped in one batch, at step %d, with the learning rate %s at %.3g",
                onset,
                s.facts.nonPositiveSince >= 0 ? "down" : "unchanged",
                s.facts.nonPositiveSince >= 0 ? s.facts.nonPositiveLearningRate : s.facts.lastLearningRate));
        ev.add(
                gradientOff == Double.POSITIVE_INFINITY
                        ? "grad_norm of that batch was not finite"
                        : String.format(
                                Locale.ROOT,
                                "grad_norm of that batch %s its recent level %.3g",
                                factor(gradientOff, "above", "below"),
                                Math.exp(s.gradient
                                        .series()
                                        .medianNewest(Math.min(
                                                s.gradient.series().size(),
                                                config.gradient().jump().referencePoints())))));
        return true;
    }

    /**
     * ln of the gradient norm of the batch at {@code onset} over the recent median before it; +Inf when
     * it was not finite, NaN when unknown. The step being judged has not joined the gradient window yet
     * (the gradient rule runs after the loss rules); an older onset is read from the gradient's jump
     * tracker, which saw that batch.
     */
    private double batchGradientLn(RunState s, StepEvent e, long onset) {
        RollingFit g = s.gradient.series();
        if (onset == e.step()) {
            Double grad = e.gradNorm();
            if (grad == null || g.size() < JumpTracker.WEAK_REFERENCE) {
                return Double.NaN;
            }
            if (!Double.isFinite(grad)) {
                return Double.POSITIVE_INFINITY;
            }
            return grad > 0
                    ? Math.log(grad)
                            - g.medianNewest(
                                    Math.min(g.size(), config.gradient().jump().referencePoints()))
                    : Double.NaN;
        }
        JumpTracker gj = s.gradient.jump;
        return gj.lastJumpStep() == onset ? gj.peakLn() - gj.refLn() : Double.NaN;
    }

    private boolean lossWithoutGradient(
            AlertType type, RunState s, StepEvent e, LinearFit fit, long onset, List<String> ev) {
        if (type != AlertType.LOSS_EXPONENTIAL_GROWTH
                && type != AlertType.LOSS_BLOWUP
                && type != AlertType.LOSS_NON_FINITE) {
            return false;
        }
        if (!recentGradients(s)) {
            return false; // no recent gradient norms to compare with
        }
        if (type == AlertType.LOSS_BLOWUP && s.blowup.jump.jumpStep() == e.step()) {
            // confirmed on the step it jumped: that batch's own gradient says whether it jumped too
            double batch = batchGradientLn(s, e, e.step());
            if (batch < Math.log(2)) {
                ev.add(String.format(
                        Locale.ROOT,
                        "grad_norm did not jump with the loss (%.3g at step %d, %.3g before)",
                        e.gradNorm(),
                        e.step(),
                        e.gradNorm() / Math.exp(batch)));
                return true;
            }
            return false;
        }
        if (type == AlertType.LOSS_BLOWUP) {
            long jump = s.blowup.jump.jumpStep();
            boolean gradJumped =
                    s.gradient.jump.lastJumpStep() >= jump - 2 && s.gradient.jump.lastJumpStep() <= jump + 2;
            if (!gradJumped && s.gradient.gradFastLn - s.gradient.gradSlowLn < Math.log(2)) {
                ev.add(String.format(
                        Locale.ROOT,
                        "grad_norm did not jump with the loss (%.3g now, %.3g before)",
                        Math.exp(s.gradient.gradFastLn),
                        Math.exp(s.gradient.gradSlowLn)));
                return true;
            }
            return false;
        }
        double lossRate = lossRate(s, fit);
        if (!(lossRate > 0)) {
            return false;
        }
        double gradRate = gradRate(s, onset);
        if (gradRate < 0.25 * lossRate && !s.gradient.jump.confirmed()) {
            ev.add(String.format(
                    Locale.ROOT,
                    "the loss grows %.3g per step (ln) while grad_norm trends %.3g per step",
                    lossRate,
                    gradRate));
            return true;
        }
        return false;
    }

    private double lossRate(RunState s, LinearFit fit) {
        return fit != null && fit.slope() > 0
                ? fit.slope()
                : s.loss.raw.fitNewest(config.growth().longScale().points()).slope();
    }

    /**
     * The loss grows while the gradient norm falls, by at least a quarter of the loss's rate (ln per
     * step): the network is losing its gradients as its loss climbs back, as when ReLUs die. Bad data
     * raises the gradients it back-propagates along with the loss; a fall is the opposite.
     */
    private boolean gradientFalls(AlertType type, RunState s, LinearFit fit, long onset, List<String> ev) {
        if (type != AlertType.LOSS_EXPONENTIAL_GROWTH || !recentGradients(s)) {
            return false;
        }
        double lossRate = lossRate(s, fit);
        double gradRate = gradRate(s, onset);
        if (lossRate > 0 && gradRate <= -0.25 * lossRate) {
            ev.add(String.format(
                    Locale.ROOT,
                    "grad_norm falls %.3g per step (ln) while the loss grows %.3g per step: " + "units are dying",
                    -gradRate,
                    lossRate));
            return true;
        }
        return false;
    }

    private boolean recentGradients(RunState s) {
        return s.gradient.points() >= 2 * config.gradient().earlyPoints()
                && s.gradient.series().newestStep() >= s.facts.lastStep - 1;
    }

    /** ln(grad_norm) per step since {@code onset}, or its recent trend when the onset is older than the window. */
    private static double gradRate(RunState s, long onset) {
        RollingFit g = s.gradient.series();
        double gradRate;
        if (onset > g.stepAt(0) && g.countFrom(onset) >= 4) {
            // the growth began inside the gradient window: compare the gradient now with then
            int before = g.size() - g.countFrom(onset);
            double then = g.mean(Math.max(0, before - 3), before);
            double now = g.mean(g.size() - 4, g.size());
            gradRate = (now - then) / Math.max(1, s.facts.lastStep - onset);
        } else {
            // under a steady trend r, an average over ~8 steps leads one over ~128 by about 120 r
            gradRate = (s.gradient.gradFastLn - s.gradient.gradSlowLn) / 120;
        }
        return gradRate;
    }

    /**
     * A zig-zag from step to step on top of the trend: with d the detrended step-to-step changes of
     * ln(loss) over the last points, a period-2 swing of amplitude A plus noise s gives mean(d^2) =
     * 4A^2 + 2s^2 and mean(d_i d_i-1) = -4A^2 - s^2, so A and s follow. Plain noise gives A near 0.
     */
    private boolean oscillating(RollingFit w, long onset, List<String> ev) {
        // judge the steps since the trouble began (a swing that just started is not diluted), at least 8
        int n = Math.min(w.size(), Math.min(32, Math.max(8, w.countFrom(onset))));
        if (n < 8) {
            return false;
        }
        int first = w.size() - n;
        double[] d = new double[n - 1];
        double mean = 0;
        for (int i = 0; i < d.length; i++) {
            d[i] = w.valueAt(first + i + 1) - w.valueAt(first + i);
            mean += d[i];
        }
        mean /= d.length;
        double c0 = 0, c1 = 0;
        for (int i = 0; i < d.length; i++) {
            d[i] -= mean;
            c0 += d[i] * d[i];
            if (i > 0) {
                c1 += d[i] * d[i - 1];
            }
        }
        c0 /= d.length;
        c1 /= d.length - 1;
        double amplitude = Math.sqrt(Math.max(0, -2 * c1 - c0)) / 2;
        double noise = Math.sqrt(Math.max(0, c0 + c1));
        if (amplitude >= OSCILLATION_AMPLITUDE && amplitude >= OSCILLATION_RATIO * noise) {
            ev.add(String.format(
                    Locale.ROOT,
                    "the loss zig-zags step to step: about %.0f%% up and down (noise %.0f%%) over the last %d steps",
                    100 * (Math.exp(amplitude) - 1),
                    100 * (Math.exp(noise) - 1),
                    d.length));
            ev.add("optimizer is plain SGD (no momentum, no adaptive step)");
            return true;
        }
        return false;
    }

    /** A setting as it was written: 4 significant digits, no trailing zeros (0.999, 1.05, 0.5). */
    private static String plain(double v) {
        return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }

    /**
     * Both betas sent, and beta2 so low for beta1 that Adam's convergence does not hold. Lion's betas are
     * two momenta, not a second moment: left out.
     */
    static boolean betasTooFarApart(RunFacts f) {
        return f.beta2 >= 0
                && f.beta2 < 1
                && f.momentum >= 0
                && f.momentum < 1
                && !f.optimizer.toLowerCase(Locale.ROOT).contains("lion")
                && f.momentum * f.momentum >= ADAM_BETAS_LIMIT * Math.sqrt(f.beta2);
    }

    static boolean isPlainSgd(String optimizer) {
        return optimizer.equalsIgnoreCase("sgd");
    }

    private static boolean isAdaptive(String optimizer) {
        String o = optimizer.toLowerCase(Locale.ROOT);
        return o.contains("adam")
                || o.contains("rmsprop")
                || o.contains("adagrad")
                || o.contains("adadelta")
                || o.contains("lamb")
                || o.contains("lion");
    }

    /** Learning rates well above the usual range: 0.01 for adaptive optimizers, 0.5 for SGD, 1 when unknown. */
    static boolean highForOptimizer(RunState s) {
        if (Double.isNaN(s.facts.lastLearningRate) || s.facts.nonPositiveSince >= 0) {
            return false;
        }
        double limit = isAdaptive(s.facts.optimizer) ? 0.01 : s.facts.optimizer.isEmpty() ? 1.0 : 0.5;
        return s.facts.lastLearningRate >= limit;
    }

    /** A loss below zero that fell to many times the size of its first. */
    private static String unboundedEvidence(RunState s, StepEvent e) {
        if (!Double.isFinite(e.loss())) {
            return String.format(
                    Locale.ROOT, "below zero since step %d: it fell without a lower bound", s.facts.negativeLossSince);
        }
        if (!Double.isNaN(s.facts.steadyFallPace)) {
            return String.format(
                    Locale.ROOT,
                    "loss %.3g at step %d, below zero since step %d and falling a steady %.3g a step, %sx the size of "
                            + "the first losses (at most %.3g): it falls without a lower bound",
                    e.loss(),
                    e.step(),
                    s.facts.negativeLossSince,
                    s.facts.steadyFallPace,
                    multiple(Math.log(-e.loss()) - s.facts.firstLossSizeLn),
                    Math.exp(s.facts.firstLossSizeLn));
        }
        return String.format(
                Locale.ROOT,
                "loss %.3g at step %d, below zero since step %d and %sx the size of the first losses (at most %.3g): "
                        + "it falls without a lower bound",
                e.loss(),
                e.step(),
                s.facts.negativeLossSince,
                multiple(Math.log(-e.loss()) - s.facts.firstLossSizeLn),
                Math.exp(s.facts.firstLossSizeLn));
    }

    private static String optimizerName(RunState s) {
        return s.facts.optimizer.isEmpty() ? "an unnamed optimizer" : s.facts.optimizer;
    }

    private static Diagnosis learningRate(double confidence, List<String> ev, RunState s, String extra) {
        String hint = isAdaptive(s.facts.optimizer) ? " (Adam: try 1e-3)" : "";
        String lr = Double.isNaN(s.facts.lastLearningRate)
                ? ""
                : String.format(
                        Locale.ROOT,
                        " from %.3g to about %.3g",
                        s.facts.lastLearningRate,
                        s.facts.lastLearningRate / 10);
        return new Diagnosis(
                Cause.LEARNING_RATE_TOO_HIGH,
                confidence,
                ev,
                "Lower the learning rate about 10x" + lr + hint + ", add warm-up, clip gradients (max norm 1)."
                        + extra);
    }
}
