package io.losswatch.detector;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.detector.fit.RollingFit;
import io.losswatch.events.AlertType;
import io.losswatch.events.Severity;
import java.util.Arrays;

/**
 * TRAINING_COLLAPSED: the loss level (median of its newest points) pinned at chance level after a
 * blow-up jump, while the gradient norm has fallen far below its early level (dead units), or after
 * a classifier had learned to 0.7x chance level or lower (it lost what it learned). Reads
 * the blow-up rule's jump and the gradient rule's levels as they were after the previous step (it
 * runs before the gradient rule).
 */
final class CollapseRule {
    static final AlertType TYPE = AlertType.TRAINING_COLLAPSED;
    /** First points of a run whose median is its chance level when {@code num_classes} is not sent. */
    static final int CHANCE_POINTS = 5;
    /** Newest points whose median is the loss level the collapse band judges. */
    static final int PIN_POINTS = 8;
    /**
     * How far below chance level (ln) a classifier's loss must have been lately for a return to chance
     * level to mean it lost what it learned: 0.7x. Healthy classifiers of six architectures that got there
     * held a median of 8 steps in the collapse band for at most 12 steps in a row (a model built anew
     * that relearned, a cyclic rate at its top), at 0.8x for 17; the rule asks for twice the pin dead
     * gradients need (32 steps with the defaults).
     */
    static final double LN_LEARNED_DEEP = Math.log(0.7);

    /** The rule's part of a run's state. */
    static final class State {
        int pinnedStreak; // consecutive steps at chance level
        long pinnedSince = -1;

        int pinnedStreak() {
            return pinnedStreak;
        }

        void clear() {
            pinnedStreak = 0;
            pinnedSince = -1;
        }

        void writeTo(StateWriter w, long base) {
            w.varInt(pinnedStreak).step(pinnedSince, base);
        }

        void readFrom(StateReader r, long base) {
            pinnedStreak = r.varInt();
            pinnedSince = r.step(base);
        }
    }

    private final DetectorConfig config;
    private final Thresholds t;
    private final AlertLifecycle lifecycle;

    CollapseRule(DetectorConfig config, Thresholds t, AlertLifecycle lifecycle) {
        this.config = config;
        this.t = t;
        this.lifecycle = lifecycle;
    }

    void onPoint(Step st) {
        RunState s = st.state;
        RunFacts facts = s.facts;
        if (Double.isNaN(facts.chanceLn)) {
            return;
        }
        State cs = s.collapse;
        RollingFit loss = s.loss.raw;
        DetectorConfig.Collapse c = config.collapse();
        long step = st.step();
        if (!facts.chanceFromLabel && loss.size() <= CHANCE_POINTS && loss.stepAt(0) == facts.firstStep) {
            facts.estimateChance(initialLevel(loss));
        }
        long jumpAt = blowupStep(s);
        boolean pinned = levelPinned(loss, facts.chanceLn, jumpAt);
        if (pinned) {
            if (cs.pinnedStreak == 0) {
                cs.pinnedSince = step;
            }
            cs.pinnedStreak++;
        } else {
            cs.pinnedStreak = 0;
        }
        GradientRule.State grad = s.gradient;
        boolean gradKnown = grad.points() >= config.gradient().earlyPoints();
        double gradLevel = gradKnown
                ? grad.series().meanNewest(config.gradientGrowth().shortScale().points())
                : Double.NaN;
        boolean firing = AlertLifecycle.firing(s, TYPE);
        boolean afterJump = jumpAt >= 0
                && cs.pinnedSince > jumpAt
                && cs.pinnedSince - jumpAt <= c.jumpLookback()
                // chance level guessed from the first loss means something only for a blow-up right at the start
                && (facts.chanceFromLabel || jumpAt - facts.firstStep <= c.firstLossChanceSteps())
                && cs.pinnedStreak >= c.pinnedAfterJump()
                && (gradKnown
                        ? gradLevel <= grad.earlyLn() - t.afterJumpGradient
                        // without gradients: a dead network's outputs no longer change, so neither does its loss;
                        // but a run that already sat at this level before the jump is only back where it was
                        : loss.madNewest(c.pinnedAfterJump()) <= c.flatSpread()
                                // asked to fire, not to hold: the blocks it reads stop reaching back to the jump
                                && (firing || lossShowsCollapse(s, jumpAt, c.pinnedAfterJump())));
        // dead units: gradients far below their early level; under a rate far too high for the optimizer,
        // the fall a blow-up leaves behind is enough (the rate is what kills them)
        boolean dead = gradKnown
                && (gradLevel <= grad.earlyLn() - t.deadGradient
                        || (gradLevel <= grad.earlyLn() - t.afterJumpGradient && Diagnoser.highForOptimizer(s)));
        // back at chance level after the loss had been far below it: whatever took it there, the model
        // no longer knows what it had learned (a rate that crept up, a restore that lost the optimizer's state);
        // a jump still pending is the blow-up rule's to judge first: it knows where the trouble began
        JumpTracker jump = s.blowup.jump;
        boolean fellBack = pinned
                && facts.chanceFromLabel
                && (firing || (learnedDeep(s) && (jump.jumpStep() < 0 || jump.confirmed())));
        boolean collapsed = pinned
                && ((afterJump && cs.pinnedStreak >= c.pinnedAfterJump())
                        || (dead && cs.pinnedStreak >= c.pinnedWithDeadGradients())
                        // nothing but the level says so: held twice as long
                        || (fellBack && cs.pinnedStreak >= 2 * c.pinnedWithDeadGradients()));
        if (collapsed) {
            AlertLifecycle.hold(st, TYPE);
            if (!firing) {
                // fallen back: from the lowest point, or from a blow-up since then
                long onset = afterJump
                        ? jumpAt
                        : dead ? cs.pinnedSince : Math.max(Math.max(s.loss.recentLowStep(), facts.firstStep), jumpAt);
                lifecycle.fire(st, TYPE, Severity.CRITICAL, onset, null, null);
            }
        } else {
            lifecycle.recover(st, TYPE);
        }
    }

    /**
     * Chance level guessed from the start of a run without {@code num_classes}: the median of its
     * first points (at most {@link #CHANCE_POINTS}) up to the first one above the collapse band
     * around the very first loss. One point carries the run's full noise, so a first loss a few
     * percent high would put the band's lower edge above the level a dead network settles at; a
     * point above the band is a jump or the start of a climb, and it and those after it say nothing
     * about the level the run started at.
     */
    private double initialLevel(RollingFit w) {
        double first = w.valueAt(0);
        int m = 1;
        while (m < w.size() && m < CHANCE_POINTS && w.valueAt(m) <= first + t.bandHigh) {
            m++;
        }
        double[] v = new double[m];
        for (int i = 0; i < m; i++) {
            v[i] = w.valueAt(i);
        }
        Arrays.sort(v);
        return (v[(m - 1) / 2] + v[m / 2]) / 2;
    }

    /**
     * The loss's level, the median of its newest {@link #PIN_POINTS} points, is within the collapse
     * band around chance level: single noisy steps neither make nor break a pin. O(1) unless the
     * level is near an edge of the band (a median lies within one standard deviation of the mean).
     */
    private boolean levelPinned(RollingFit w, double chanceLn, long jumpAt) {
        double lo = chanceLn + t.bandLow;
        double hi = chanceLn + t.bandHigh;
        if (w.size() == 0) {
            return false;
        }
        if (jumpAt >= 0 && jumpAt >= w.stepAt(Math.max(0, w.size() - PIN_POINTS))) {
            // a blow-up among them: the level since, the jump's own points left out
            int n = w.countFrom(jumpAt + 1);
            double level = w.medianNewest(n);
            return n > 0 && level >= lo && level <= hi;
        }
        double upper = w.medianUpperBoundNewest(PIN_POINTS);
        double lower = 2 * w.meanNewest(PIN_POINTS) - upper;
        if (upper < lo || lower > hi) {
            return false;
        }
        if (lower >= lo && upper <= hi) {
            return true;
        }
        double level = w.medianNewest(PIN_POINTS);
        return level >= lo && level <= hi;
    }

    /**
     * The loss alone shows that the blow-up at {@code jumpAt} left the run at chance level. Not when
     * the run already sat in the band before the jump, for at least {@code points} points (the
     * jump's reference level, the median of the points before it, in the band; the points counted
     * from the run's first step and its step spacing): it is only back where it was. And not when
     * the loss went below the band between the jump and the pin (a block mean of the loss series
     * made only of points after the jump, closed before the pin): the run learned past chance level
     * after the jump, survived it, and drifted back. Judged from what the run state keeps for 256
     * steps, not from the raw window, so the answer does not change as the window moves on; once the
     * blocks no longer reach back to the jump, not at all (it is asked only before the alert fires: a
     * firing collapse holds while the loss stays pinned and flat).
     */
    private boolean lossShowsCollapse(RunState s, long jumpAt, int points) {
        RollingFit w = s.loss.raw;
        JumpTracker jump = s.blowup.jump;
        double lo = s.facts.chanceLn + t.bandLow;
        double hi = s.facts.chanceLn + t.bandHigh;
        if (jumpAt == jump.lastJumpStep() && w.size() >= 2 && jump.refLn() >= lo && jump.refLn() <= hi) {
            double spacing = (w.newestStep() - w.stepAt(0)) / (w.size() - 1.0);
            if ((jumpAt - s.facts.firstStep) / spacing >= points) {
                return false;
            }
        }
        RollingFit b = s.loss.blocks.blocks();
        if (b.isFull() && b.stepAt(0) > jumpAt) {
            return false;
        }
        for (int k = 1; k < b.size() && b.stepAt(k) < s.collapse.pinnedSince; k++) {
            if (b.stepAt(k - 1) >= jumpAt && b.valueAt(k) < lo) {
                return false;
            }
        }
        return true;
    }

    /**
     * A classifier ({@code num_classes} sent) whose loss has been at {@link #LN_LEARNED_DEEP} of chance
     * level or lower lately: its lowest block mean, else its lowest point kept.
     */
    static boolean learnedDeep(RunState s) {
        return s.facts.chanceFromLabel && s.loss.recentLowLn() - s.facts.chanceLn <= LN_LEARNED_DEEP;
    }

    /**
     * Where the run last blew up: its loss jumped, or its gradients exploded (an alert still firing,
     * for example weights that overflowed while the loss stayed finite). -1 when neither.
     */
    static long blowupStep(RunState s) {
        AlertSlot xs = s.slot(GradientRule.TYPE);
        long lossJump = s.blowup.jump.lastJumpStep();
        return xs.firing() ? Math.max(lossJump, xs.onsetStep()) : lossJump;
    }
}
