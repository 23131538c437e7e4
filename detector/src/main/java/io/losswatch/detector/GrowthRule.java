package io.losswatch.detector;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.detector.fit.LinearFit;
import io.losswatch.detector.fit.RollingFit;
import io.losswatch.events.AlertType;
import io.losswatch.events.Severity;

/**
 * LOSS_EXPONENTIAL_GROWTH: ln(loss) is a straight rising line in at least one window (8, 16, 64
 * steps, and 32 block means of 8 steps for slow growth under heavy noise): rate, R^2, rise and the
 * order of its thirds all agree, and the fitted end is above where the run was before the window
 * (not only above a dip the window starts in), {@code confirmSteps} steps in a row. Right after the
 * learning rate jumps back to a level the run already trained at (a warm restart), a bump up to the
 * run's earlier loss level is planned and not alerted. A per-epoch series (one point an epoch) is
 * also judged epoch by epoch ({@link EpochGrowth}): its windows would fill only late in the run.
 */
final class GrowthRule {
    static final AlertType TYPE = AlertType.LOSS_EXPONENTIAL_GROWTH;
    /** Share of a window's minimum rise (in ln) that keeps a firing growth alert firing. */
    static final double HOLD_RISE = 0.5;
    /** Noise lag of the block window: its points are already averages of 8 steps. */
    static final int BLOCK_NOISE_LAG = 2;

    /** The rule's part of a run's state. */
    static final class State {
        int growthStreak; // steps in a row some window grew
        boolean blocksGrow; // the block window grew when its last block closed
        long plannedSinceStep = -1; // a warm restart's bump is expected since this step, until the loss
        double plannedFromLn = Double.NaN; // is back to where it was then (ln)...
        double plannedCeilingLn = Double.NaN; // ...as long as ln(loss) stays below this

        int growthStreak() {
            return growthStreak;
        }

        void clear() {
            growthStreak = 0;
            blocksGrow = false;
            plannedSinceStep = -1;
            plannedFromLn = Double.NaN;
            plannedCeilingLn = Double.NaN;
        }

        private static final int BLOCKS_GROW = 1, PLANNED_FROM = 2, PLANNED_CEILING = 4;

        void writeTo(StateWriter w, long base) {
            int mask = (blocksGrow ? BLOCKS_GROW : 0)
                    | StateWriter.unlessNaN(plannedFromLn, PLANNED_FROM)
                    | StateWriter.unlessNaN(plannedCeilingLn, PLANNED_CEILING);
            w.u8(mask).varInt(growthStreak).step(plannedSinceStep, base);
            if ((mask & PLANNED_FROM) != 0) {
                w.f64(plannedFromLn);
            }
            if ((mask & PLANNED_CEILING) != 0) {
                w.f64(plannedCeilingLn);
            }
        }

        void readFrom(StateReader r, long base) {
            int mask = r.u8();
            blocksGrow = (mask & BLOCKS_GROW) != 0;
            growthStreak = r.varInt();
            plannedSinceStep = r.step(base);
            plannedFromLn = r.f64(mask, PLANNED_FROM, Double.NaN);
            plannedCeilingLn = r.f64(mask, PLANNED_CEILING, Double.NaN);
        }
    }

    private final DetectorConfig config;
    private final Thresholds t;
    private final AlertLifecycle lifecycle;

    GrowthRule(DetectorConfig config, Thresholds t, AlertLifecycle lifecycle) {
        this.config = config;
        this.t = t;
        this.lifecycle = lifecycle;
    }

    /**
     * The learning rate went back up to a level the run already trained at: a warm restart, whose
     * bump is planned, once the run has a loss level to come back to. False when it has none yet.
     */
    boolean planRestartBump(RunState s, long step) {
        LossSeries loss = s.loss;
        if (Double.isNaN(loss.maxBlockLn) || loss.raw.size() == 0) {
            return false;
        }
        State g = s.growth;
        g.plannedSinceStep = step;
        g.plannedFromLn = loss.raw.meanNewest(config.growth().shortScale().points());
        g.plannedCeilingLn = loss.maxBlockLn + t.plannedBump;
        return true;
    }

    /**
     * Judges the step once its point is in the series; {@code blockClosed} when the point closed a block.
     * Returns the fit the decision rests on: the growing window's, else the short window's.
     */
    LinearFit onPoint(Step st, double y, boolean blockClosed) {
        RunState s = st.state;
        State gs = s.growth;
        LossSeries loss = s.loss;
        DetectorConfig.Growth g = config.growth();
        long step = st.step();
        boolean firing = AlertLifecycle.firing(s, TYPE);
        // once firing, growth holds with half the rise (in ln) it needed to fire: growth right at the
        // threshold (slow growth under heavy noise) would otherwise fire, resolve and fire again
        double hold = firing ? HOLD_RISE : 1;
        if (blockClosed) {
            RollingFit blocks = loss.blocks.blocks();
            gs.blocksGrow = g.blocks() != null
                    && GrowthChecks.grows(
                            blocks,
                            g.blocks(),
                            hold * t.blocksMinRise,
                            blocks.fit(),
                            g.blocks().points() / 2,
                            g.riseSigmas(),
                            BLOCK_NOISE_LAG,
                            false);
        }

        // shortest window first
        LinearFit used = null;
        boolean fromBlocks = false;
        for (int i = 0; i < t.lossScales.length; i++) {
            DetectorConfig.Scale sc = t.lossScales[i];
            LinearFit f = loss.raw.fitNewest(sc.points());
            int minCount = GrowthChecks.minPoints(sc, g);
            if (GrowthChecks.grows(
                            loss.raw,
                            sc,
                            hold * t.lossMinRise[i],
                            f,
                            minCount,
                            g.riseSigmas(),
                            GrowthChecks.NOISE_LAG,
                            true)
                    && GrowthChecks.aboveBefore(
                            loss.raw, loss.blocks, f, Math.min(loss.raw.size(), sc.points()), g.riseSigmas())) {
                used = f;
                break;
            }
        }
        if (used == null) {
            used = risesWhileRateClimbs(s, step);
        }
        if (used == null && gs.blocksGrow) {
            used = loss.blocks.blocks().fit();
            fromBlocks = true;
        }
        boolean byEpoch = false;
        if (used == null && s.facts.perEpoch) {
            used = EpochGrowth.grows(loss.raw, hold);
            byEpoch = used != null;
        }
        boolean growing = used != null;
        if (gs.plannedSinceStep >= 0) {
            int n = g.shortScale().points();
            // the level, not one noisy step, has to break through the ceiling
            if (loss.raw.medianNewest(n) > gs.plannedCeilingLn
                    || (step - gs.plannedSinceStep >= g.plannedSteps() && loss.raw.meanNewest(n) <= gs.plannedFromLn)) {
                gs.plannedSinceStep = -1; // above anything planned, or the bump is over
            } else if (growing) {
                growing = false; // a warm restart's bump, back towards where the loss has already been
            }
        }
        if (growing) {
            gs.growthStreak++;
            AlertLifecycle.hold(st, TYPE);
            // an epoch's climb is confirmed by the epochs it counts: a second epoch in a row would come an epoch late
            if (!firing && (gs.growthStreak >= g.confirmSteps() || byEpoch)) {
                long onset = fromBlocks ? blockOnset(s) : GrowthChecks.lowPoint(loss.raw);
                // report the rate of the growth itself, not diluted by the steps before it began
                LinearFit fit = GrowthChecks.sinceOnset(loss.raw, onset, used);
                Severity sev =
                        fit.doublingSteps() <= config.criticalDoublingSteps() ? Severity.CRITICAL : Severity.WARNING;
                lifecycle.fire(st, TYPE, sev, onset, fit, lifecycle.forecast(fit));
                used = fit;
            }
        } else {
            gs.growthStreak = 0;
            lifecycle.recover(st, TYPE);
        }
        return used != null ? used : loss.raw.fitNewest(g.shortScale().points());
    }

    /** Steps a run trains before a climb of its rate counts as leaving a settled rate, not as a warm-up. */
    static final int SETTLED_STEPS = 50;
    /** ln of the loss's rise (1.4x) over its lowest since the rate began to climb that makes growth. */
    static final double CLIMB_LOSS_RISE = Math.log(1.4);
    /** Standard errors of the run's own noise that rise must also be. */
    static final double CLIMB_SIGMAS = 3;

    /**
     * The learning rate climbs step after step to levels the run never had (a range test left running,
     * a schedule's bug), after the run trained at a steadier rate for {@link #SETTLED_STEPS}, and the
     * loss's level (the median of the short window) stands {@link #CLIMB_LOSS_RISE} and
     * {@link #CLIMB_SIGMAS} standard errors above the lowest block mean since the climb began: the fit
     * since then, or null. Under such a ramp the loss creeps up a few tenths for tens of steps before it
     * runs away, too slowly and noisily for the windows' exponential fits, and the climbing rate says
     * why; a warm-up from a run's first steps is left out (its loss often bumps while it falls).
     */
    private LinearFit risesWhileRateClimbs(RunState s, long step) {
        RunFacts f = s.facts;
        if (f.learningRateRiseStep != step
                || !f.roseByClimb()
                || f.learningRateRiseFromStep - f.firstStep < SETTLED_STEPS) {
            return null;
        }
        RollingFit raw = s.loss.raw;
        int n = config.growth().shortScale().points();
        RollingFit b = s.loss.blocks.blocks();
        int size = s.loss.blocks.blockSize();
        double low = Double.POSITIVE_INFINITY;
        // blocks made only of steps since the climb began: the block before each closed at or after its start
        for (int i = b.size() - 1; i >= 1 && b.stepAt(i - 1) >= f.learningRateRiseFromStep; i--) {
            low = Math.min(low, b.valueAt(i));
        }
        if (raw.size() < n || low == Double.POSITIVE_INFINITY) {
            return null;
        }
        double noise = raw.diffNoise(GrowthChecks.NOISE_LAG) * GrowthChecks.correlationFactor(raw);
        double error = Math.hypot(GrowthChecks.MEDIAN_EFFICIENCY * noise / Math.sqrt(n), noise / Math.sqrt(size));
        double rise = raw.medianNewest(n) - low;
        if (rise < CLIMB_LOSS_RISE || rise < CLIMB_SIGMAS * error) {
            return null;
        }
        // the fit the alert reports: of the climb since the rate began to climb, when it does rise
        LinearFit since = raw.fitFrom(f.learningRateRiseFromStep);
        return since.slope() > 0 ? since : null;
    }

    /** Where block growth began: the middle of the lowest block before the climb, not before the run. */
    private static long blockOnset(RunState s) {
        RollingFit b = s.loss.blocks.blocks();
        return Math.max(s.facts.firstStep, GrowthChecks.lowPoint(b) - s.loss.blocks.blockSize() / 2);
    }
}
