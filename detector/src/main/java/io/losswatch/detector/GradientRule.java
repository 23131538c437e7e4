package io.losswatch.detector;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.detector.fit.LinearFit;
import io.losswatch.detector.fit.RollingFit;
import io.losswatch.detector.fit.RollingFitCodec;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertType;
import io.losswatch.events.Severity;
import io.losswatch.events.StepEvent;
import java.nio.ByteBuffer;

/**
 * GRADIENT_EXPLOSION: the gradient norm grows exponentially or jumps and stays up, and is far above
 * its own early level; or the gradient or parameter norm overflowed while the loss is still finite.
 */
final class GradientRule {
    static final AlertType TYPE = AlertType.GRADIENT_EXPLOSION;
    /** Non-finite gradient norms in a row, after finite ones, that make a gradient explosion. */
    static final int NON_FINITE_GRADIENT_STEPS = 3;
    /** Steps the fast and the slow exponential averages of ln(grad_norm) reach back, about. */
    static final int FAST_STEPS = 8, SLOW_STEPS = 128;
    /** Loss points in each of the levels {@link #lossFalls} compares. */
    static final int LOSS_LEVEL_POINTS = 8;
    /** ln of the fall (10%) that makes a loss clearly falling while its gradient grew. */
    static final double LEARNING_FALL = -Math.log(0.9);
    /** Steps in a row a gradient surge falls on to be dying away... */
    static final int FALLING_STEPS = 3;
    /** ...by at least this much each (ln 1.25). */
    static final double STEP_FALL = Math.log(1.25);

    /** The rule's part of a run's state: the gradient norm's window and levels, which the collapse rule and the diagnosis read. */
    static final class State {
        final RollingFit grad; // ln(grad_norm)
        int gradPoints;
        int nonFiniteGradStreak; // non-finite gradient norms in a row
        double earlyGradLn = Double.NaN; // median of the first points; the minimum so far until then
        int gradGrowthStreak;
        double gradFastLn; // exponential averages of ln(grad_norm) over ~8 and ~128 steps:
        double gradSlowLn; // their gap says whether the gradients trend
        final JumpTracker jump = new JumpTracker();

        State(DetectorConfig.Growth gg) {
            this.grad = new RollingFit(
                    gg.longScale().points(),
                    gg.shortScale().points(),
                    gg.veryShort().points());
        }

        RollingFit series() {
            return grad;
        }

        int points() {
            return gradPoints;
        }

        double earlyLn() {
            return earlyGradLn;
        }

        void clear() {
            grad.clear();
            jump.clear();
            gradGrowthStreak = 0;
            gradPoints = 0;
            nonFiniteGradStreak = 0;
            earlyGradLn = Double.NaN;
        }

        private static final int EARLY = 1, FAST = 2, SLOW = 4;

        void writeTo(StateWriter w, long base) {
            int mask = StateWriter.unlessNaN(earlyGradLn, EARLY)
                    | StateWriter.unlessZero(gradFastLn, FAST)
                    | StateWriter.unlessZero(gradSlowLn, SLOW);
            w.u8(mask).varInt(gradPoints).varInt(nonFiniteGradStreak).varInt(gradGrowthStreak);
            if ((mask & EARLY) != 0) {
                w.f64(earlyGradLn);
            }
            if ((mask & FAST) != 0) {
                w.f64(gradFastLn);
            }
            if ((mask & SLOW) != 0) {
                w.f64(gradSlowLn);
            }
            RollingFitCodec.write(grad, w);
            jump.writeTo(w, base);
        }

        void readFrom(StateReader r, long base) {
            int mask = r.u8();
            gradPoints = r.varInt();
            nonFiniteGradStreak = r.varInt();
            gradGrowthStreak = r.varInt();
            earlyGradLn = r.f64(mask, EARLY, Double.NaN);
            gradFastLn = r.f64(mask, FAST, 0);
            gradSlowLn = r.f64(mask, SLOW, 0);
            RollingFitCodec.read(grad, r);
            jump.readFrom(r, base);
        }

        /** Reads the form of run state formats 3 and 4 (3 had no count of non-finite norms in a row). */
        void readLegacy(ByteBuffer b, int format) {
            RollingFitCodec.readLegacy(grad, b);
            gradPoints = b.getInt();
            nonFiniteGradStreak = format >= 4 ? b.getInt() : 0;
            earlyGradLn = b.getDouble();
            gradGrowthStreak = b.getInt();
            gradFastLn = b.getDouble();
            gradSlowLn = b.getDouble();
            jump.readLegacy(b);
        }
    }

    private final DetectorConfig config;
    private final Thresholds t;
    private final AlertLifecycle lifecycle;

    GradientRule(DetectorConfig config, Thresholds t, AlertLifecycle lifecycle) {
        this.config = config;
        this.t = t;
        this.lifecycle = lifecycle;
    }

    /** A finite, positive gradient norm; {@code gy} is its ln. */
    void onGradient(Step st, double gy) {
        RunState s = st.state;
        State gs = s.gradient;
        long step = st.step();
        DetectorConfig.Gradient gc = config.gradient();
        DetectorConfig.Growth gg = config.gradientGrowth();
        gs.nonFiniteGradStreak = 0;
        gs.jump.onPoint(step, gy, gs.grad, t.gradJump, Double.NaN, false);
        gs.grad.add(step, gy);
        if (gs.gradPoints == 0) {
            gs.gradFastLn = gy;
            gs.gradSlowLn = gy;
        }
        gs.gradFastLn += (gy - gs.gradFastLn) / FAST_STEPS;
        gs.gradSlowLn += (gy - gs.gradSlowLn) / SLOW_STEPS;
        // the early level describes the run before anything went wrong: a gradient jump (or overflow)
        // inside the first points freezes it at what came before, so a dead network's small gradients
        // afterwards are not taken for its normal level
        boolean firing = AlertLifecycle.firing(s, TYPE);
        boolean undisturbed = gs.jump.lastJumpStep() < 0 && !firing;
        if (++gs.gradPoints <= gc.earlyPoints() && (undisturbed || Double.isNaN(gs.earlyGradLn))) {
            gs.earlyGradLn = gs.gradPoints == gc.earlyPoints()
                    ? gs.grad.medianNewest(gc.earlyPoints())
                    : Double.isNaN(gs.earlyGradLn) ? gy : Math.min(gs.earlyGradLn, gy);
        }
        boolean aboveEarly = gy >= gs.earlyGradLn + t.riseOverEarly;
        if (gs.jump.confirmed() && !aboveEarly && !firing) {
            gs.jump.reset(); // up and staying, but not far above where this run's gradients began
        }
        LinearFit used = null;
        for (int i = 0; i < t.gradScales.length; i++) {
            DetectorConfig.Scale sc = t.gradScales[i];
            LinearFit f = gs.grad.fitNewest(sc.points());
            if (GrowthChecks.grows(
                    gs.grad, sc, t.gradMinRise[i], f, sc.points(), gg.riseSigmas(), GrowthChecks.NOISE_LAG, false)) {
                used = f;
                break;
            }
        }
        if (used != null && lossFalls(s)) {
            used = null; // gradients that grow while the loss falls are a network learning, not exploding
        }
        gs.gradGrowthStreak = used != null && aboveEarly ? gs.gradGrowthStreak + 1 : 0;
        boolean jumped = gs.jump.confirmed()
                && gs.jump.stillUp(gy)
                && aboveEarly
                && (firing || !fallingAway(gs.grad, s.loss.raw));
        boolean exploding = jumped || gs.gradGrowthStreak >= gg.confirmSteps();
        if (exploding) {
            AlertLifecycle.hold(st, TYPE);
            if (!firing) {
                long onset = used != null ? GrowthChecks.lowPoint(gs.grad) : gs.jump.jumpStep();
                LinearFit fit = used == null ? null : GrowthChecks.sinceOnset(gs.grad, onset, used);
                Severity sev = fit == null || fit.doublingSteps() <= config.criticalDoublingSteps()
                        ? Severity.CRITICAL
                        : Severity.WARNING;
                lifecycle.fire(st, TYPE, sev, onset, fit, lossForecast(s));
            }
        } else if (lifecycle.recover(st, TYPE)) {
            gs.jump.reset();
        }
    }

    /**
     * The gradient norm or the parameter norm overflowed while the loss is still finite. Parameters
     * that are Inf or NaN are a broken model: immediate. A non-finite gradient norm alone is also what
     * mixed-precision training with a loss scaler produces on a step it then skips, so it counts only
     * on top of a gradient that was already jumping, or when it repeats on
     * {@link #NON_FINITE_GRADIENT_STEPS} steps in a row after finite ones.
     */
    void onNonFinite(Step st, boolean gradient) {
        RunState s = st.state;
        State gs = s.gradient;
        StepEvent e = st.event;
        if (gradient) {
            gs.nonFiniteGradStreak++;
        }
        AlertLifecycle.hold(st, TYPE);
        if (AlertLifecycle.firing(s, TYPE)) {
            return;
        }
        boolean brokenParameters = nonFinite(e.paramNorm());
        boolean wasJumping = gs.jump.jumpStep() >= 0;
        boolean repeated = gs.gradPoints > 0 && gs.nonFiniteGradStreak >= NON_FINITE_GRADIENT_STEPS;
        if (brokenParameters || wasJumping || repeated) {
            long onset = gs.jump.jumpStep() >= 0
                    ? gs.jump.jumpStep()
                    : gs.grad.size() > 0 ? GrowthChecks.lowPoint(gs.grad) : e.step();
            lifecycle.fire(st, TYPE, Severity.CRITICAL, Math.min(onset, e.step()), null, null);
        }
    }

    /**
     * The loss fell clearly since the gradient norm began to grow, and is not climbing now: the median
     * of its newest {@link #LOSS_LEVEL_POINTS} points is at least {@link #LEARNING_FALL} below the
     * median of as many from where the gradient's window was lowest, and no higher than the median of
     * the as many before them. A network leaving its initialisation, or settling into a steeper region,
     * grows its gradient norm many-fold while it learns fast; an explosion comes with a loss that stops
     * falling and climbs, and is judged the step it does.
     */
    private static boolean lossFalls(RunState s) {
        RollingFit loss = s.loss.raw;
        int k = LOSS_LEVEL_POINTS;
        int from = loss.size() - loss.countFrom(GrowthChecks.lowPoint(s.gradient.grad));
        if (from + 2 * k > loss.size()) {
            return false;
        }
        double now = loss.medianNewest(k);
        return now <= loss.medianOf(from, from + k) - LEARNING_FALL
                && now <= loss.medianOf(loss.size() - 2 * k, loss.size() - k);
    }

    /**
     * The gradient norm fell on each of its newest {@link #FALLING_STEPS} steps, by at least
     * {@link #STEP_FALL} a step, and the loss fell over those steps too: a surge dying away with the loss
     * it threw up, as after a first step too large that the optimiser then corrects. An explosion climbs
     * or holds, and one that broke the network leaves its loss up while the gradient fades; this one is
     * judged the step it stops falling, if it is still up then.
     */
    static boolean fallingAway(RollingFit grad, RollingFit loss) {
        int n = grad.size();
        int m = loss.size();
        if (n <= FALLING_STEPS || m <= FALLING_STEPS) {
            return false;
        }
        for (int i = n - FALLING_STEPS; i < n; i++) {
            if (grad.valueAt(i) - grad.valueAt(i - 1) > -STEP_FALL) {
                return false;
            }
        }
        return loss.newestValue() - loss.valueAt(m - 1 - FALLING_STEPS) <= -STEP_FALL;
    }

    /** A value that was sent and is Inf or NaN. */
    static boolean nonFinite(Double v) {
        return v != null && !Double.isFinite(v);
    }

    /** The loss's own forecast, when the loss grows in its short window too. */
    private AlertEvent.Forecast lossForecast(RunState s) {
        DetectorConfig.Scale sc = config.growth().shortScale();
        RollingFit loss = s.loss.raw;
        LinearFit f = loss.fitNewest(sc.points());
        return GrowthChecks.grows(
                        loss,
                        sc,
                        t.lossMinRise[1],
                        f,
                        sc.points(),
                        config.growth().riseSigmas(),
                        GrowthChecks.NOISE_LAG,
                        false)
                ? lifecycle.forecast(f)
                : null;
    }
}
