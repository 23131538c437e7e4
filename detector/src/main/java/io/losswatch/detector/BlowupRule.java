package io.losswatch.detector;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.detector.fit.RollingFit;
import io.losswatch.events.AlertType;
import io.losswatch.events.Severity;

/**
 * LOSS_BLOWUP: a jump far above the median of the previous steps that does not come back within a
 * few steps ({@link JumpTracker}), or that needs no steps to show it ({@link #blowsUpAtOnce}); or,
 * in a run's first steps, a climb to a level far above its first
 * loss that the run keeps ({@link #earlyRise}); or, later, a level far above the one before that the
 * run holds ({@link #levelShift}). Judged in two parts: the jump against the points before this one,
 * then, once the point is in the series, the climbs. Not raised while the growth rule already
 * reports the climb.
 */
final class BlowupRule {
    static final AlertType TYPE = AlertType.LOSS_BLOWUP;
    /** Points of each of the two levels {@link #levelShift} compares. */
    static final int LEVEL_POINTS = 16;
    /** Steps between two checks of {@link #levelShift}. */
    static final int LEVEL_EVERY = 4;
    /**
     * A jump this far (ln of 1000x) above the level before it is a blow-up on the step it happens:
     * three orders of magnitude in one minibatch is no noise, and a bad batch's spike that a healthy
     * run shrugs off lifts the loss tens of times, not thousands.
     */
    static final double LN_EXTREME_JUMP = Math.log(1000);
    /**
     * A jump within this many steps of the learning rate rising to a level the run never had is a
     * blow-up at once: its cause is in the events, and a rate that set one off keeps doing so.
     */
    static final int AFTER_RISE_STEPS = 5;
    /** Points of each of the two levels in a row that {@link #lostGround} judges. */
    static final int LOST_POINTS = LEVEL_POINTS;
    /** How far (ln of 2x) above the level at the start of the window two levels in a row must stand: ground lost. */
    static final double LN_LOST = Math.log(2);
    /** A classifier whose loss came down to this share (ln of 0.8) of chance level or below has learned. */
    static final double LN_LEARNED = Math.log(0.8);
    /** ...and one whose level then stands this far (ln of 1.5x) above chance level does worse than guessing. */
    static final double LN_ABOVE_CHANCE = Math.log(1.5);
    /** Standard errors of its median that level must stand above chance level, a constant known exactly. */
    static final double CHANCE_SIGMAS = 3;

    /** The rule's part of a run's state: the loss's jump tracker, which the collapse rule and the diagnosis read. */
    static final class State {
        final JumpTracker jump = new JumpTracker();

        void clear() {
            jump.clear();
        }

        void writeTo(StateWriter w, long base) {
            jump.writeTo(w, base);
        }

        void readFrom(StateReader r, long base) {
            jump.readFrom(r, base);
        }
    }

    private final DetectorConfig config;
    private final Thresholds t;
    private final AlertLifecycle lifecycle;

    BlowupRule(DetectorConfig config, Thresholds t, AlertLifecycle lifecycle) {
        this.config = config;
        this.t = t;
        this.lifecycle = lifecycle;
    }

    /**
     * The jump test, before the point joins the series; fires, holds or resolves. True when the climbs
     * may still be judged this step (no jump confirmed now, and the alert was not firing).
     */
    boolean beforePoint(Step st, double y) {
        RunState s = st.state;
        JumpTracker jt = s.blowup.jump;
        // asked only over the run's first points: the common path stays O(1)
        boolean startHigh = s.loss.raw.size() < JumpTracker.WEAK_REFERENCE && Diagnoser.highForOptimizer(s);
        JumpTracker.Event jump =
                jt.onPoint(st.step(), y, s.loss.raw, t.lossJump, s.facts.labelledChanceLn(), startHigh);
        if (jump == JumpTracker.Event.JUMP && blowsUpAtOnce(s, y)) {
            jump = jt.confirmNow();
        }
        boolean wasFiring = AlertLifecycle.firing(s, TYPE); // not raised again in the step that resolves it
        if (jump == JumpTracker.Event.CONFIRMED && !wasFiring) {
            lifecycle.fire(st, TYPE, Severity.CRITICAL, jt.jumpStep(), null, null);
        } else if (wasFiring) {
            if (jt.stillUp(y)) {
                AlertLifecycle.hold(st, TYPE);
            } else if (lifecycle.recover(st, TYPE)) {
                jt.reset();
            }
        }
        return jump != JumpTracker.Event.CONFIRMED && !wasFiring;
    }

    /**
     * A jump that needs no steps to show it stays: one thousands of times the level before it; one
     * out of the run's very first losses far past what a start's noise allows (the jump factor times
     * the weak-reference jump, 100x by default: a healthy run falls from its first loss, and a rate far
     * too high throws it up at once, even when it then drops back to chance, its units dead); or one
     * right after the learning rate rose to a new level at once (not by a climb step by step).
     */
    private boolean blowsUpAtOnce(RunState s, double y) {
        JumpTracker jt = s.blowup.jump;
        double height = y - jt.refLn();
        if (height >= LN_EXTREME_JUMP) {
            return true;
        }
        // the weak-reference jump asked again: 100x by default, as a start's noise is not known yet
        if (s.loss.raw.size() < JumpTracker.WEAK_REFERENCE && height >= t.lossJump.lnWeakJump() + t.lossJump.lnJump()) {
            return true;
        }
        // a rise at once, not a climb step by step: a warm-up's climb is no reason to take a spike for a blow-up
        long rise = s.facts.learningRateRiseStep;
        return rise >= 0 && !s.facts.roseByClimb() && jt.jumpStep() - rise <= AFTER_RISE_STEPS && jt.jumpStep() >= rise;
    }

    /**
     * A loss below zero, which the rules of ln(loss) cannot read: a blow-up when it has fallen to
     * {@link RunFacts#UNBOUNDED_FACTOR} times the size of the attempt's first losses, or to
     * {@link RunFacts#STEADY_FALL_FACTOR} times while it falls at a steady pace, a loss with no lower
     * bound (a negative log-likelihood of raw outputs, a sign flipped), dated from where it went below
     * zero; held while it stays that far down, resolved as any blow-up once it no longer is.
     */
    void belowZero(Step st) {
        RunState s = st.state;
        if (s.facts.unboundedBelow(st.event.loss())) {
            AlertLifecycle.hold(st, TYPE);
            if (!AlertLifecycle.firing(s, TYPE)) {
                lifecycle.fire(st, TYPE, Severity.CRITICAL, s.facts.negativeLossSince, null, null);
            }
        } else if (AlertLifecycle.firing(s, TYPE) && !s.blowup.jump.confirmed()) {
            lifecycle.recover(st, TYPE);
        }
    }

    /** The climbs, once the point is in the series. */
    void afterPoint(Step st, boolean mayFire) {
        RunState s = st.state;
        // a climb the growth alert already reports is not a second divergence
        if (mayFire
                && !AlertLifecycle.firing(s, TYPE)
                && !AlertLifecycle.firing(s, GrowthRule.TYPE)
                && (earlyRise(s)
                        || (s.facts.processedSteps % LEVEL_EVERY == 0
                                && (levelShift(s) || lostGround(s) || worseThanChance(s))))) {
            lifecycle.fire(st, TYPE, Severity.CRITICAL, s.blowup.jump.jumpStep(), null, null);
        }
    }

    /**
     * A run whose loss moved to a level far above where it was and stays there: the median of the newest
     * {@link #LEVEL_POINTS} points is at least the blow-up jump factor above the median of the
     * {@link #LEVEL_POINTS} before them, and {@code jumpSigmas} standard errors of that difference of
     * medians (the noise from the robust spread within each level, the error widened for noise correlated
     * from step to step as in {@link GrowthChecks#aboveBefore}). The mid-run
     * counterpart of {@link #earlyRise}: under heavy noise a blow-up can jump less far than a single
     * point's noise allows (6 noise scales), yet a level held for 16 steps is a far surer sign than any
     * one point. A spike, or two, moves neither median. Checked every {@link #LEVEL_EVERY} steps (two
     * sorts of 16); it needs the window's 32 newest points. On a rise, the jump tracker holds it as a
     * confirmed blow-up from where the move happened (the best split about the halfway mark).
     */
    private boolean levelShift(RunState s) {
        RollingFit w = s.loss.raw;
        JumpTracker jt = s.blowup.jump;
        int n = LEVEL_POINTS;
        int size = w.size();
        if (jt.confirmed() || jt.jumpStep() >= 0 || size < 2 * n) {
            return false;
        }
        Thresholds.Jump c = t.lossJump;
        // cheap first: a median is at most one standard deviation above the mean, and the window's running
        // sums bound its minimum from below in O(1); then the exact minimum of the two levels' points
        double upper = w.medianUpperBoundNewest(n);
        if (upper - w.minLowerBoundNewest(w.capacity()) < c.lnJump() || upper - w.minNewest(2 * n) < c.lnJump()) {
            return false;
        }
        double before = w.medianOf(size - 2 * n, size - n);
        double level = w.medianNewest(n);
        double rise = level - before;
        if (rise < c.lnJump()) {
            return false;
        }
        // the noise within each level (the move between them is no noise): their robust spreads, averaged
        double sigma = (w.madOf(size - 2 * n, size - n) + w.madNewest(n)) / 2;
        // wider under noise correlated from step to step, whose slow swings move a median of 16 points more
        double error = GrowthChecks.MEDIAN_EFFICIENCY * sigma * Math.sqrt(2.0 / n) * GrowthChecks.correlationFactor(w);
        if (rise < c.jumpSigmas() * error) {
            return false;
        }
        int k = moveAt(w, size - 2 * n, before + rise / 2);
        jt.confirmRise(w.stepAt(k), before, level, before + Math.max(c.lnStay(), c.staySigmas() * sigma));
        return true;
    }

    /**
     * A run that lost the ground it had gained: the medians of the newest {@link #LOST_POINTS} points
     * and of the {@link #LOST_POINTS} before them both stand {@link #LN_LOST} or more above the median
     * of the window's oldest {@link #LOST_POINTS}, and {@code jumpSigmas} standard errors of that
     * difference of medians (as in {@link #levelShift}). The slow counterpart of {@link #levelShift}: a
     * loss that left its level over more steps than two adjacent levels span (a staircase, a drift of a
     * few tens of steps), or whose noise grew as it did (batches of a few examples), has moved 2x and
     * more, and held there for two levels; a spike, or a bump that turns back within half a level's
     * points, moves no median. Needs the whole window, and the learning rate in the events: a warm
     * restart's bump without it is as high and lasts as long (decision 0019). On a rise, the jump
     * tracker holds it as a confirmed blow-up from where the move happened (the argmax of a CUSUM
     * about the halfway mark).
     */
    private boolean lostGround(RunState s) {
        RollingFit w = s.loss.raw;
        JumpTracker jt = s.blowup.jump;
        int n = LOST_POINTS;
        int size = w.size();
        if (jt.confirmed() || jt.jumpStep() >= 0 || !w.isFull() || size < 4 * n) {
            return false;
        }
        // a warm restart's bump is as high and lasts as long: only with the learning rate in the events,
        // which tells a planned bump (a rate raised on schedule) from ground lost
        if (Double.isNaN(s.facts.lastLearningRate) || s.growth.plannedSinceStep >= 0) {
            return false;
        }
        // cheap first, from the window's running sums: the mean of the newest points against the mean of
        // all the older ones, which hold two levels' worth of the move when there is one
        int all = w.capacity();
        double newest = w.meanNewest(n);
        double older = (all * w.meanNewest(all) - n * newest) / (all - n);
        if (newest - older < LN_LOST / 2) {
            return false;
        }
        double before = w.medianOf(0, n);
        double level = Math.min(w.medianOf(size - 2 * n, size - n), w.medianNewest(n));
        double rise = level - before;
        if (rise < LN_LOST) {
            return false;
        }
        double sigma = (w.madOf(0, n) + w.madNewest(n)) / 2;
        double error = GrowthChecks.MEDIAN_EFFICIENCY * sigma * Math.sqrt(2.0 / n) * GrowthChecks.correlationFactor(w);
        Thresholds.Jump c = t.lossJump;
        if (rise < c.jumpSigmas() * error) {
            return false;
        }
        int k = moveAt(w, 0, before + rise / 2);
        jt.confirmRise(w.stepAt(k), before, level, before + Math.max(c.lnStay(), c.staySigmas() * sigma));
        return true;
    }

    /**
     * A classifier (its class count sent as {@code num_classes}) that had learned, its lowest block
     * mean of late at most {@link #LN_LEARNED} of chance level, and whose loss now stands
     * {@link #LN_ABOVE_CHANCE} above chance: the median of the newest {@link #LEVEL_POINTS} points that
     * high, and {@link #CHANCE_SIGMAS} standard errors of that median above chance. At chance level the
     * model guesses; well above it, it is confidently wrong, which training does not do: healthy runs,
     * under label noise, smoothing, restarts or heavy regularisation, stay at or below chance once they
     * have learned. Catches a climb too slow and noisy for the growth fits that has left all the ground
     * the run gained and more (momentum 0.99 at a rate far too high climbs 1.4 -> 3.5 over 120 steps).
     * The jump tracker holds it from the lowest block, and until the loss is back under chance.
     */
    private boolean worseThanChance(RunState s) {
        double chance = s.facts.labelledChanceLn();
        RollingFit w = s.loss.raw;
        int n = LEVEL_POINTS;
        JumpTracker jt = s.blowup.jump;
        if (Double.isNaN(chance)
                || jt.confirmed()
                || jt.jumpStep() >= 0
                || w.size() < n
                || w.medianUpperBoundNewest(n) - chance < LN_ABOVE_CHANCE) {
            return false;
        }
        double low = s.loss.recentLowLn();
        double level = w.medianNewest(n);
        double above = level - chance;
        if (!(low - chance <= LN_LEARNED) || above < LN_ABOVE_CHANCE) {
            return false;
        }
        // chance level is known exactly: only the newest median's own error counts
        double error =
                GrowthChecks.MEDIAN_EFFICIENCY * w.madNewest(n) / Math.sqrt(n) * GrowthChecks.correlationFactor(w);
        if (above < CHANCE_SIGMAS * error) {
            return false;
        }
        jt.confirmRise(s.loss.recentLowStep(), low, level, chance);
        return true;
    }

    /**
     * Where a move up happened among the points from index {@code from} on: the split that leaves the
     * most points above the halfway mark {@code mid} after it and below it before it (the argmax of a
     * CUSUM), so that one spike of the noise in the level before is not taken for the move.
     */
    private static int moveAt(RollingFit w, int from, double mid) {
        int k = w.size() - 1;
        double sum = 0;
        double best = Double.NEGATIVE_INFINITY;
        for (int i = w.size() - 1; i >= from; i--) {
            sum += w.valueAt(i) > mid ? 1 : -1;
            if (sum >= best) {
                best = sum;
                k = i;
            }
        }
        return k;
    }

    /**
     * A run that, within its first points, climbed far above its first loss and stays there: the
     * median of the newest points of the short growth window is at least the blow-up jump factor and
     * {@code jumpSigmas} of its own noise above the first loss. A healthy run's loss falls from its
     * first value (a warm-up bump stays within a few tens of percent), so a level several times
     * higher that half the recent steps hold is a blow-up, even when it came as a climb over several
     * noisy steps that neither the growth fits (too few points, too noisy, and it stopped growing)
     * nor the jump test (no single step jumped) see. Only while the raw window still holds the run's
     * first point; O(1) on the common path (a median is at most one standard deviation above the mean).
     * On a rise, the jump tracker holds it as a confirmed blow-up from the step the climb passed halfway.
     */
    private boolean earlyRise(RunState s) {
        RollingFit w = s.loss.raw;
        JumpTracker jt = s.blowup.jump;
        int n = config.growth().shortScale().points();
        if (jt.confirmed() || jt.jumpStep() >= 0 || w.size() <= n || w.isFull()) {
            return false;
        }
        double first = w.valueAt(0);
        Thresholds.Jump c = t.lossJump;
        if (w.medianUpperBoundNewest(n) - first < c.lnJump()) {
            return false;
        }
        double level = w.medianNewest(n);
        // the noise of the level's points: their robust spread, or step to step when they still trend
        double sigma = Math.max(w.madNewest(n), w.diffNoiseNewest(n));
        double rise = level - first;
        if (rise < c.lnJump() || rise < c.jumpSigmas() * sigma) {
            return false;
        }
        int k = 1;
        while (k < w.size() - 1 && w.valueAt(k) < first + rise / 2) {
            k++;
        }
        jt.confirmRise(w.stepAt(k), first, level, first + Math.max(c.lnStay(), c.staySigmas() * sigma));
        return true;
    }
}
