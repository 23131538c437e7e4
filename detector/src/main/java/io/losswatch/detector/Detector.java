package io.losswatch.detector;

import io.losswatch.detector.fit.BlockFit;
import io.losswatch.detector.fit.LinearFit;
import io.losswatch.detector.fit.RollingFit;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.Severity;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decides, one step at a time, whether a run is diverging. Pure: no Kafka, no clocks of its own,
 * the same inputs give the same alerts, so the benchmark, the unit tests and the stream all run
 * exactly this code.
 *
 * <ul>
 * <li>{@code LOSS_NON_FINITE}: immediately.
 * <li>{@code LOSS_EXPONENTIAL_GROWTH}: ln(loss) is a straight rising line in at least one window
 *     (8, 16, 64 steps, and 32 block means of 8 steps for slow growth under heavy noise): rate, R^2,
 *     rise and the order of its thirds all agree, and the fitted end is above where the run was before
 *     the window (not only above a dip the window starts in), two steps in a row. Right after the learning rate
 *     jumps back to a level the run already trained at (a warm restart), a bump up to the run's
 *     earlier loss level is expected and not alerted.
 * <li>{@code LOSS_BLOWUP}: a jump far above the median of the previous steps that does not come
 *     back within a few steps ({@link JumpTracker}); or, in a run's first steps, a climb to a level
 *     far above its first loss that the run keeps.
 * <li>{@code TRAINING_COLLAPSED}: the loss level (median of its newest points) pinned at chance level
 *     after a blow-up jump, or while the gradient norm has fallen far below its early level (dead units).
 * <li>{@code GRADIENT_EXPLOSION}: the gradient norm grows exponentially or jumps and stays up, and is
 *     far above its own early level.
 * <li>{@code VALIDATION_DIVERGENCE}: {@link ValidationTracker}.
 * </ul>
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

    /** Steps between the points whose differences measure a run's noise: past step-to-step correlation. */
    static final int NOISE_LAG = 8;
    /** Points before a growth window whose median is the level the growth must rise above. */
    static final int BEFORE_POINTS = 16;
    /** Fewer points than this before a window say too little about where the run was. */
    static final int MIN_BEFORE_POINTS = 8;
    /** Standard error of a median over that of a mean, for normal noise: sqrt(pi / 2). */
    static final double MEDIAN_EFFICIENCY = 1.2533;
    /** Highest step-to-step correlation of the noise believed from a window's estimate. */
    static final double MAX_CORRELATION = 0.6;
    /** Points of each of the two levels {@link #levelShift} compares. */
    static final int LEVEL_POINTS = 16;
    /** Steps between two checks of {@link #levelShift}. */
    static final int LEVEL_EVERY = 4;
    /** Share of a growth window's slope that the newest third of it must still rise at. */
    static final double END_SLOPE_SHARE = 0.25;
    /** Share of a window's minimum rise (in ln) that keeps a firing growth alert firing. */
    static final double HOLD_RISE = 0.5;
    /** Non-finite gradient norms in a row, after finite ones, that make a gradient explosion. */
    static final int NON_FINITE_GRADIENT_STEPS = 3;
    /** First points of a run whose median is its chance level when {@code num_classes} is not sent. */
    static final int CHANCE_POINTS = 5;
    /** Newest points whose median is the loss level the collapse band judges. */
    static final int PIN_POINTS = 8;

    private final DetectorConfig config;
    private final Thresholds t;
    private final Diagnoser diagnoser;

    public Detector(DetectorConfig config) {
        this.config = config;
        this.t = new Thresholds(config);
        this.diagnoser = new Diagnoser(config);
    }

    public DetectorConfig config() {
        return config;
    }

    public RunState newState() {
        return new RunState(config);
    }

    /** Collects the alerts of one step; allocates only when there is one. */
    private static final class Out {
        List<AlertEvent> alerts;

        void add(AlertEvent a) {
            if (alerts == null) {
                alerts = new ArrayList<>(2);
            }
            alerts.add(a);
        }

        List<AlertEvent> list() {
            return alerts == null ? List.of() : alerts;
        }
    }

    /**
     * @param eventTime when the step ran (from the event, or the record timestamp)
     * @param now the decision time written into {@code detected_at}
     */
    public Result onStep(RunState s, StepEvent e, Instant eventTime, Instant now) {
        Out out = new Out();
        Outcome outcome = Outcome.ACCEPTED;
        if (e.resumedFrom() != null && s.lastStep >= 0) {
            // the trainer went back to the weights of step resumedFrom: what its alerts described is gone, and the
            // windows hold the abandoned trajectory; the step numbers may go on or go back
            resolveAll(
                    s,
                    e,
                    eventTime,
                    now,
                    out,
                    "the run rolled back to the checkpoint of step " + e.resumedFrom() + " at step " + e.step());
            s.resume();
            outcome = Outcome.RESUMED;
        } else if (s.lastStep >= 0 && e.step() <= s.lastStep) {
            if (e.step() == 0 && s.lastStep > 0) {
                // the job restarted: close what the old attempt raised
                resolveAll(s, e, eventTime, now, out, "the run started over at step " + e.step() + " (a new attempt)");
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
                fire(
                        s,
                        AlertType.LOSS_NON_FINITE,
                        Severity.CRITICAL,
                        s.firstNonFiniteStep,
                        e,
                        eventTime,
                        now,
                        null,
                        null,
                        out);
            }
            return new Result(
                    outcome,
                    out.list(),
                    s.loss.fitNewest(config.growth().shortScale().points()));
        }
        s.firstNonFiniteStep = -1;
        if (nf.firing && ++nf.healthySteps >= config.resolveSteps()) {
            resolve(s, AlertType.LOSS_NON_FINITE, e, eventTime, now, out);
        }

        LinearFit fit = LinearFit.EMPTY;
        if (e.loss() > 0) {
            fit = onLoss(s, e, Math.log(e.loss()), eventTime, now, out);
        }
        Double g = e.gradNorm();
        if (g != null && g > 0 && Double.isFinite(g)) {
            s.nonFiniteGradStreak = 0;
            onGradient(s, e, Math.log(g), eventTime, now, out);
        }
        if (nonFinite(g) || nonFinite(e.paramNorm())) {
            onNonFiniteGradient(s, e, nonFinite(g), eventTime, now, out);
        }
        Double v = e.valLoss();
        if (v != null && v > 0 && Double.isFinite(v)) {
            onValidation(s, e, Math.log(v), eventTime, now, out);
        }
        return new Result(outcome, out.list(), fit);
    }

    // ------------------------------------------------------------------ loss

    private LinearFit onLoss(RunState s, StepEvent e, double y, Instant eventTime, Instant now, Out out) {
        long step = e.step();
        DetectorConfig.Growth g = config.growth();
        if (Double.isNaN(s.chanceLn) && s.loss.size() == 0 && step <= 1) {
            s.chanceLn = y; // a classifier starts at chance level: ln(number of classes)
        }

        // blow-up: judged against the steps before this one
        JumpTracker.Event jump =
                s.lossJump.onPoint(step, y, s.loss, t.lossJump, s.chanceFromLabel ? s.chanceLn : Double.NaN);
        RunState.Slot bs = s.slot(AlertType.LOSS_BLOWUP);
        boolean blowupWasFiring = bs.firing; // not raised again in the step that resolves it
        if (jump == JumpTracker.Event.CONFIRMED && !bs.firing) {
            fire(s, AlertType.LOSS_BLOWUP, Severity.CRITICAL, s.lossJump.jumpStep, e, eventTime, now, null, null, out);
        } else if (bs.firing) {
            if (s.lossJump.stillUp(y)) {
                bs.healthySteps = 0;
            } else if (++bs.healthySteps >= config.resolveSteps()) {
                resolve(s, AlertType.LOSS_BLOWUP, e, eventTime, now, out);
                s.lossJump.reset();
            }
        }

        s.loss.add(step, y);
        // a climb the growth alert already reports is not a second divergence
        if (jump != JumpTracker.Event.CONFIRMED
                && !blowupWasFiring
                && !bs.firing
                && !s.slot(AlertType.LOSS_EXPONENTIAL_GROWTH).firing
                && (earlyRise(s) || (s.processedSteps % LEVEL_EVERY == 0 && levelShift(s)))) {
            fire(s, AlertType.LOSS_BLOWUP, Severity.CRITICAL, s.lossJump.jumpStep, e, eventTime, now, null, null, out);
        }
        // once firing, growth holds with half the rise (in ln) it needed to fire: growth right at the
        // threshold (slow growth under heavy noise) would otherwise fire, resolve and fire again
        double hold = s.slot(AlertType.LOSS_EXPONENTIAL_GROWTH).firing ? HOLD_RISE : 1;
        if (s.lossBlocks.add(step, y)) {
            RollingFit blocks = s.lossBlocks.blocks();
            double m = blocks.newestValue();
            s.maxBlockLn = Double.isNaN(s.maxBlockLn) ? m : Math.max(s.maxBlockLn, m);
            s.blocksGrow = g.blocks() != null
                    && grows(
                            blocks,
                            g.blocks(),
                            hold * t.blocksMinRise,
                            blocks.fit(),
                            g.blocks().points() / 2,
                            g.riseSigmas(),
                            2);
        }

        // exponential growth, shortest window first
        LinearFit used = null;
        boolean fromBlocks = false;
        for (int i = 0; i < t.lossScales.length; i++) {
            DetectorConfig.Scale sc = t.lossScales[i];
            LinearFit f = s.loss.fitNewest(sc.points());
            int minCount = minPoints(sc, g);
            if (grows(s.loss, sc, hold * t.lossMinRise[i], f, minCount, g.riseSigmas(), NOISE_LAG)
                    && aboveBefore(s.loss, s.lossBlocks, f, Math.min(s.loss.size(), sc.points()), g.riseSigmas())) {
                used = f;
                break;
            }
        }
        if (used == null && s.blocksGrow) {
            used = s.lossBlocks.blocks().fit();
            fromBlocks = true;
        }
        boolean growing = used != null;
        if (s.plannedSinceStep >= 0) {
            double level = s.loss.meanNewest(g.shortScale().points());
            if (y > s.plannedCeilingLn || (step - s.plannedSinceStep >= g.plannedSteps() && level <= s.plannedFromLn)) {
                s.plannedSinceStep = -1; // above anything planned, or the bump is over
            } else if (growing) {
                growing = false; // a warm restart's bump, back towards where the loss has already been
            }
        }
        RunState.Slot gs = s.slot(AlertType.LOSS_EXPONENTIAL_GROWTH);
        if (growing) {
            s.growthStreak++;
            gs.healthySteps = 0;
            if (!gs.firing && s.growthStreak >= g.confirmSteps()) {
                long onset = fromBlocks ? blockOnset(s) : lowPoint(s.loss);
                // report the rate of the growth itself, not diluted by the steps before it began
                LinearFit since = s.loss.fitFrom(onset);
                if (since.n() >= 3 && since.slope() > used.slope() && since.r2() >= used.r2() * 0.9) {
                    used = since;
                }
                Severity sev =
                        used.doublingSteps() <= config.criticalDoublingSteps() ? Severity.CRITICAL : Severity.WARNING;
                fire(s, AlertType.LOSS_EXPONENTIAL_GROWTH, sev, onset, e, eventTime, now, used, forecast(used), out);
            }
        } else {
            s.growthStreak = 0;
            if (gs.firing && ++gs.healthySteps >= config.resolveSteps()) {
                resolve(s, AlertType.LOSS_EXPONENTIAL_GROWTH, e, eventTime, now, out);
            }
        }

        collapse(s, e, y, eventTime, now, out);
        return used != null ? used : s.loss.fitNewest(g.shortScale().points());
    }

    /**
     * A run whose loss moved to a level far above where it was and stays there: the median of the newest
     * {@link #LEVEL_POINTS} points is at least the blow-up jump factor above the median of the
     * {@link #LEVEL_POINTS} before them, and {@code jumpSigmas} standard errors of that difference of
     * medians (the noise from the robust spread within each level, the error widened for noise correlated
     * from step to step as in {@link #aboveBefore}). The mid-run
     * counterpart of {@link #earlyRise}: under heavy noise a blow-up can jump less far than a single
     * point's noise allows (6 noise scales), yet a level held for 16 steps is a far surer sign than any
     * one point. A spike, or two, moves neither median. Checked every {@link #LEVEL_EVERY} steps (two
     * sorts of 16); it needs the window's 32 newest points. On a rise, the jump tracker holds it as a
     * confirmed blow-up from where the move happened (the best split about the halfway mark).
     */
    private boolean levelShift(RunState s) {
        RollingFit w = s.loss;
        JumpTracker jt = s.lossJump;
        int n = LEVEL_POINTS;
        int size = w.size();
        if (jt.confirmed || jt.jumpStep >= 0 || size < 2 * n) {
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
        double error = MEDIAN_EFFICIENCY * sigma * Math.sqrt(2.0 / n) * correlationFactor(w);
        if (rise < c.jumpSigmas() * error) {
            return false;
        }
        // the onset: where the move happened, the split that leaves the most points above the halfway mark
        // after it and below it before it (the argmax of a CUSUM), so that one spike of the noise in the
        // level before is not taken for the move
        double mid = before + rise / 2;
        int k = size - 1;
        double sum = 0;
        double best = Double.NEGATIVE_INFINITY;
        for (int i = size - 1; i >= size - 2 * n; i--) {
            sum += w.valueAt(i) > mid ? 1 : -1;
            if (sum >= best) {
                best = sum;
                k = i;
            }
        }
        jt.confirmRise(w.stepAt(k), before, level, before + Math.max(c.lnStay(), c.staySigmas() * sigma));
        return true;
    }

    /**
     * Points a growth window needs before it may judge. A full window, except at the start of a run:
     * a run that blows up fast is often stopped, or turns NaN, before its 16th or 64th step, so the
     * short window judges from 3/4 of its points and the long one from 3/8 (24 of 64). Fewer points
     * make a noisier fit, which the window's R^2 and its rise in standard errors of the run's own noise
     * already account for; the very short window always needs all of its 8.
     */
    static int minPoints(DetectorConfig.Scale sc, DetectorConfig.Growth g) {
        if (sc == g.longScale()) {
            return sc.points() * 3 / 8;
        }
        return sc == g.shortScale() ? sc.points() * 3 / 4 : sc.points();
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
        RollingFit w = s.loss;
        JumpTracker jt = s.lossJump;
        int n = config.growth().shortScale().points();
        if (jt.confirmed || jt.jumpStep >= 0 || w.size() <= n || w.isFull()) {
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

    private void collapse(RunState s, StepEvent e, double y, Instant eventTime, Instant now, Out out) {
        if (Double.isNaN(s.chanceLn)) {
            return;
        }
        DetectorConfig.Collapse c = config.collapse();
        long step = e.step();
        if (!s.chanceFromLabel && s.loss.size() <= CHANCE_POINTS && s.loss.stepAt(0) == s.firstStep) {
            s.chanceLn = initialLevel(s.loss);
        }
        long jumpAt = blowupStep(s);
        boolean pinned = levelPinned(s.loss, s.chanceLn, jumpAt);
        if (pinned) {
            if (s.pinnedStreak == 0) {
                s.pinnedSince = step;
            }
            s.pinnedStreak++;
        } else {
            s.pinnedStreak = 0;
        }
        boolean gradKnown = s.gradPoints >= config.gradient().earlyPoints();
        double gradLevel = gradKnown
                ? s.grad.meanNewest(config.gradientGrowth().shortScale().points())
                : Double.NaN;
        RunState.Slot cs = s.slot(AlertType.TRAINING_COLLAPSED);
        boolean afterJump = jumpAt >= 0
                && s.pinnedSince > jumpAt
                && s.pinnedSince - jumpAt <= c.jumpLookback()
                // chance level guessed from the first loss means something only for a blow-up right at the start
                && (s.chanceFromLabel || jumpAt - s.firstStep <= c.firstLossChanceSteps())
                && s.pinnedStreak >= c.pinnedAfterJump()
                && (gradKnown
                        ? gradLevel <= s.earlyGradLn - t.afterJumpGradient
                        // without gradients: a dead network's outputs no longer change, so neither does its loss;
                        // but a run that already sat at this level before the jump is only back where it was
                        : s.loss.madNewest(c.pinnedAfterJump()) <= c.flatSpread()
                                // asked to fire, not to hold: the blocks it reads stop reaching back to the jump
                                && (cs.firing || lossShowsCollapse(s, jumpAt, c.pinnedAfterJump())));
        boolean dead = gradKnown && gradLevel <= s.earlyGradLn - t.deadGradient;
        boolean collapsed = pinned
                && ((afterJump && s.pinnedStreak >= c.pinnedAfterJump())
                        || (dead && s.pinnedStreak >= c.pinnedWithDeadGradients()));
        if (collapsed) {
            cs.healthySteps = 0;
            if (!cs.firing) {
                fire(
                        s,
                        AlertType.TRAINING_COLLAPSED,
                        Severity.CRITICAL,
                        afterJump ? jumpAt : s.pinnedSince,
                        e,
                        eventTime,
                        now,
                        null,
                        null,
                        out);
            }
        } else if (cs.firing && ++cs.healthySteps >= config.resolveSteps()) {
            resolve(s, AlertType.TRAINING_COLLAPSED, e, eventTime, now, out);
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
     * the loss went below the band between the jump and the pin (a block mean of
     * {@link RunState#lossBlocks} made only of points after the jump, closed before the pin): the run
     * learned past chance level after the jump, survived it, and drifted back. Judged from what the
     * run state keeps for 256 steps, not from the raw window, so the answer does not change as the
     * window moves on; once the blocks no longer reach back to the jump, not at all (it is asked only
     * before the alert fires: a firing collapse holds while the loss stays pinned and flat).
     */
    private boolean lossShowsCollapse(RunState s, long jumpAt, int points) {
        RollingFit w = s.loss;
        double lo = s.chanceLn + t.bandLow;
        double hi = s.chanceLn + t.bandHigh;
        if (jumpAt == s.lossJump.lastJumpStep && w.size() >= 2 && s.lossJump.refLn >= lo && s.lossJump.refLn <= hi) {
            double spacing = (w.newestStep() - w.stepAt(0)) / (w.size() - 1.0);
            if ((jumpAt - s.firstStep) / spacing >= points) {
                return false;
            }
        }
        RollingFit b = s.lossBlocks.blocks();
        if (b.isFull() && b.stepAt(0) > jumpAt) {
            return false;
        }
        for (int k = 1; k < b.size() && b.stepAt(k) < s.pinnedSince; k++) {
            if (b.stepAt(k - 1) >= jumpAt && b.valueAt(k) < lo) {
                return false;
            }
        }
        return true;
    }

    /**
     * Where the run last blew up: its loss jumped, or its gradients exploded (an alert still firing,
     * for example weights that overflowed while the loss stayed finite). -1 when neither.
     */
    static long blowupStep(RunState s) {
        RunState.Slot xs = s.slot(AlertType.GRADIENT_EXPLOSION);
        return xs.firing ? Math.max(s.lossJump.lastJumpStep, xs.onsetStep) : s.lossJump.lastJumpStep;
    }

    // ------------------------------------------------------------------ gradient norm

    private void onGradient(RunState s, StepEvent e, double gy, Instant eventTime, Instant now, Out out) {
        long step = e.step();
        DetectorConfig.Gradient gc = config.gradient();
        DetectorConfig.Growth gg = config.gradientGrowth();
        s.gradJump.onPoint(step, gy, s.grad, t.gradJump, Double.NaN);
        s.grad.add(step, gy);
        if (s.gradPoints == 0) {
            s.gradFastLn = gy;
            s.gradSlowLn = gy;
        }
        s.gradFastLn += (gy - s.gradFastLn) / 8;
        s.gradSlowLn += (gy - s.gradSlowLn) / 128;
        // the early level describes the run before anything went wrong: a gradient jump (or overflow)
        // inside the first points freezes it at what came before, so a dead network's small gradients
        // afterwards are not taken for its normal level
        boolean undisturbed = s.gradJump.lastJumpStep < 0 && !s.slot(AlertType.GRADIENT_EXPLOSION).firing;
        if (++s.gradPoints <= gc.earlyPoints() && (undisturbed || Double.isNaN(s.earlyGradLn))) {
            s.earlyGradLn = s.gradPoints == gc.earlyPoints()
                    ? s.grad.medianNewest(gc.earlyPoints())
                    : Double.isNaN(s.earlyGradLn) ? gy : Math.min(s.earlyGradLn, gy);
        }
        boolean aboveEarly = gy >= s.earlyGradLn + t.riseOverEarly;
        if (s.gradJump.confirmed && !aboveEarly && !s.slot(AlertType.GRADIENT_EXPLOSION).firing) {
            s.gradJump.reset(); // up and staying, but not far above where this run's gradients began
        }
        LinearFit used = null;
        for (int i = 0; i < t.gradScales.length; i++) {
            DetectorConfig.Scale sc = t.gradScales[i];
            LinearFit f = s.grad.fitNewest(sc.points());
            if (grows(s.grad, sc, t.gradMinRise[i], f, sc.points(), gg.riseSigmas(), NOISE_LAG)) {
                used = f;
                break;
            }
        }
        s.gradGrowthStreak = used != null && aboveEarly ? s.gradGrowthStreak + 1 : 0;
        boolean jumped = s.gradJump.confirmed && s.gradJump.stillUp(gy) && aboveEarly;
        boolean exploding = jumped || s.gradGrowthStreak >= gg.confirmSteps();
        RunState.Slot xs = s.slot(AlertType.GRADIENT_EXPLOSION);
        if (exploding) {
            xs.healthySteps = 0;
            if (!xs.firing) {
                long onset = used != null ? lowPoint(s.grad) : s.gradJump.jumpStep;
                LinearFit fit = used;
                if (used != null) {
                    LinearFit since = s.grad.fitFrom(onset);
                    if (since.n() >= 3 && since.slope() > used.slope() && since.r2() >= used.r2() * 0.9) {
                        fit = since;
                    }
                }
                Severity sev = fit == null || fit.doublingSteps() <= config.criticalDoublingSteps()
                        ? Severity.CRITICAL
                        : Severity.WARNING;
                fire(s, AlertType.GRADIENT_EXPLOSION, sev, onset, e, eventTime, now, fit, lossForecast(s), out);
            }
        } else if (xs.firing && ++xs.healthySteps >= config.resolveSteps()) {
            resolve(s, AlertType.GRADIENT_EXPLOSION, e, eventTime, now, out);
            s.gradJump.reset();
        }
    }

    /**
     * The gradient norm or the parameter norm overflowed while the loss is still finite. Parameters
     * that are Inf or NaN are a broken model: immediate. A non-finite gradient norm alone is also what
     * mixed-precision training with a loss scaler produces on a step it then skips, so it counts only
     * on top of a gradient that was already jumping, or when it repeats on
     * {@link #NON_FINITE_GRADIENT_STEPS} steps in a row after finite ones.
     */
    private void onNonFiniteGradient(
            RunState s, StepEvent e, boolean gradient, Instant eventTime, Instant now, Out out) {
        if (gradient) {
            s.nonFiniteGradStreak++;
        }
        RunState.Slot xs = s.slot(AlertType.GRADIENT_EXPLOSION);
        xs.healthySteps = 0;
        if (xs.firing) {
            return;
        }
        boolean brokenParameters = nonFinite(e.paramNorm());
        boolean wasJumping = s.gradJump.jumpStep >= 0;
        boolean repeated = s.gradPoints > 0 && s.nonFiniteGradStreak >= NON_FINITE_GRADIENT_STEPS;
        if (brokenParameters || wasJumping || repeated) {
            long onset =
                    s.gradJump.jumpStep >= 0 ? s.gradJump.jumpStep : s.grad.size() > 0 ? lowPoint(s.grad) : e.step();
            fire(
                    s,
                    AlertType.GRADIENT_EXPLOSION,
                    Severity.CRITICAL,
                    Math.min(onset, e.step()),
                    e,
                    eventTime,
                    now,
                    null,
                    null,
                    out);
        }
    }

    /** A value that was sent and is Inf or NaN. */
    static boolean nonFinite(Double v) {
        return v != null && !Double.isFinite(v);
    }

    // ------------------------------------------------------------------ validation loss

    private void onValidation(RunState s, StepEvent e, double v, Instant eventTime, Instant now, Out out) {
        DetectorConfig.Validation c = config.validation();
        double train = s.loss.size() > 0
                ? s.loss.meanNewest(config.growth().shortScale().points())
                : Double.NaN;
        boolean rising = s.validation.onValidation(e.step(), v, train, c, t.validationMinRise);
        RunState.Slot vs = s.slot(AlertType.VALIDATION_DIVERGENCE);
        if (rising) {
            s.validation.calmPoints = 0;
            if (!vs.firing && s.validation.streak >= c.confirmPoints()) {
                fire(
                        s,
                        AlertType.VALIDATION_DIVERGENCE,
                        Severity.WARNING,
                        s.validation.bestStep,
                        e,
                        eventTime,
                        now,
                        s.validation.fit(),
                        null,
                        out);
            }
        } else if (vs.firing) {
            // only a validation loss back near its minimum ends it, not a pause in the climb
            boolean back = s.validation.smoothLn - s.validation.bestLn < t.validationMinRise * 0.5;
            s.validation.calmPoints = back ? s.validation.calmPoints + 1 : 0;
            if (s.validation.calmPoints >= c.resolvePoints()) {
                resolve(s, AlertType.VALIDATION_DIVERGENCE, e, eventTime, now, out);
            }
        }
    }

    // ------------------------------------------------------------------ shared

    private void track(RunState s, StepEvent e) {
        Double lrBox = e.learningRate();
        if (lrBox != null && Double.isFinite(lrBox) && lrBox > 0) {
            double lr = lrBox;
            if (!Double.isNaN(s.lastLearningRate) && lr >= 1.5 * s.lastLearningRate) {
                if (lr <= 1.05 * s.maxLearningRate && !Double.isNaN(s.maxBlockLn) && s.loss.size() > 0) {
                    // back up to a rate this run already trained at: a warm restart, its bump is planned
                    s.plannedSinceStep = e.step();
                    s.plannedFromLn =
                            s.loss.meanNewest(config.growth().shortScale().points());
                    s.plannedCeilingLn = s.maxBlockLn + t.plannedBump;
                } else {
                    s.learningRateRiseStep = e.step();
                }
            }
            s.maxLearningRate = Double.isNaN(s.maxLearningRate) ? lr : Math.max(s.maxLearningRate, lr);
            s.lastLearningRate = lr;
        }
        Double ur = e.updateRatio();
        if (ur != null && Double.isFinite(ur)) {
            // decays so that one old large update does not colour a diagnosis forever
            double prev = Double.isNaN(s.recentMaxUpdateRatio) ? 0 : s.recentMaxUpdateRatio * 0.98;
            s.recentMaxUpdateRatio = Math.max(prev, ur);
        }
        if (!e.labels().isEmpty()) {
            String opt = e.labels().get("optimizer");
            if (opt != null && opt.length() <= 64 && !opt.equals(s.optimizer)) {
                s.optimizer = opt;
            }
            String classes = s.processedSteps <= 1 ? e.labels().get("num_classes") : null;
            if (classes != null) {
                try {
                    int c = Integer.parseInt(classes.trim());
                    if (c >= 2) {
                        s.chanceLn = Math.log(Math.log(c));
                        s.chanceFromLabel = true;
                    }
                } catch (NumberFormatException ignored) {
                    // a label, not a contract: a bad one only means chance level is estimated instead
                }
            }
        }
    }

    /**
     * Sustained and consistent growth over the newest {@code sc.points()} points (at least
     * {@code minCount} of them): rate, R^2, fitted rise (also against the run's own noise), thirds
     * in order, and the newest point really above the window's low. The O(1) tests go first.
     */
    static boolean grows(
            RollingFit w,
            DetectorConfig.Scale sc,
            double minRise,
            LinearFit f,
            int minCount,
            double riseSigmas,
            int noiseLag) {
        int n = Math.min(w.size(), sc.points());
        if (n < minCount || f.slope() < sc.minRate() || f.r2() < sc.minR2()) {
            return false;
        }
        int first = w.size() - n;
        double span = w.newestStep() - w.stepAt(first);
        double rise = f.slope() * span;
        if (rise < minRise) {
            return false;
        }
        int third = n / 3;
        double a = w.mean(first, first + third);
        double b = w.mean(first + third, first + n - third);
        double c = w.mean(first + n - third, first + n);
        // the newest value must really be above the window's low point, not only the fitted line
        if (!(a < b && b < c && w.newestValue() - w.minNewest(n) >= minRise * 0.5)) {
            return false;
        }
        // and it must still be growing where the window ends: a bump that has levelled off (a restart
        // of the schedule, a burst of noise) still fits a rising line over the whole window
        int end = Math.max(3, third);
        if (w.fitFrom(w.stepAt(first + n - end)).slope() < END_SLOPE_SHARE * f.slope()) {
            return false;
        }
        // standard error of the fitted rise over n evenly spaced points is noise * sqrt(12 (n-1) / (n (n+1)))
        double riseError = w.diffNoise(noiseLag) * Math.sqrt(12.0 * (n - 1) / (n * (n + 1.0)));
        return rise >= riseSigmas * riseError;
    }

    /**
     * The growth ends above where the run was before its window, by {@code riseSigmas} standard
     * errors: a window that starts in a dip of the noise fits a climb back to the usual level (and a
     * little past it) as growth, although the run never rose above where it had been. The reference
     * is the median of the points just before the window ({@link #BEFORE_POINTS}, at least
     * {@link #MIN_BEFORE_POINTS}), or, for a window that reaches back to the oldest raw point kept,
     * the median of the block means that closed before it; without either (the start of a run) the
     * test passes. The errors are those of the fitted end and of a median, inflated for noise that is
     * correlated from step to step, which makes runs of similar points and so both a dip and the
     * climb out of it look more certain than they are. Runs only after {@link #grows} passed.
     */
    static boolean aboveBefore(RollingFit w, BlockFit history, LinearFit f, int n, double riseSigmas) {
        int first = w.size() - n;
        double ref;
        int refPoints;
        if (first >= MIN_BEFORE_POINTS) {
            int before = Math.min(first, Math.max(n, BEFORE_POINTS));
            ref = w.medianOf(first - before, first);
            refPoints = before;
        } else {
            RollingFit b = history.blocks();
            long start = w.stepAt(first);
            int k = b.size();
            while (k > 0 && b.stepAt(k - 1) >= start) {
                k--;
            }
            int m = Math.min(k, Math.max(1, BEFORE_POINTS / history.blockSize()));
            if (m * history.blockSize() < MIN_BEFORE_POINTS) {
                return true;
            }
            ref = b.medianOf(k - m, k);
            refPoints = m * history.blockSize();
        }
        double noise = w.diffNoise(NOISE_LAG) * correlationFactor(w);
        double endError = noise * Math.sqrt(1.0 / n + 3.0 * (n - 1) / (n * (n + 1.0)));
        double refError = MEDIAN_EFFICIENCY * noise / Math.sqrt(refPoints);
        return f.fittedLast() - ref >= riseSigmas * Math.hypot(endError, refError);
    }

    /**
     * How much wider the standard error of a mean (or a fitted line) is under step-to-step
     * correlated noise than under white noise of the same size: sqrt((1 + rho) / (1 - rho)) for AR(1)
     * noise with lag-1 correlation rho, which follows from the noise at lag 1 against lag
     * {@link #NOISE_LAG}: the variance of a difference over k steps is 2 s^2 (1 - rho^k), so their
     * ratio is about 1 - rho. Rho is capped at {@link #MAX_CORRELATION}; a zig-zag (rho below 0) gives 1.
     */
    static double correlationFactor(RollingFit w) {
        double wide = w.diffNoise(NOISE_LAG);
        if (!(wide > 0)) {
            return 1;
        }
        double ratio = w.diffNoise(1) / wide;
        double rho = Math.max(0, Math.min(MAX_CORRELATION, 1 - ratio * ratio));
        return Math.sqrt((1 + rho) / (1 - rho));
    }

    /** Where the growth began: the last low point of the window before the climb. */
    static long lowPoint(RollingFit w) {
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

    private long blockOnset(RunState s) {
        RollingFit b = s.lossBlocks.blocks();
        return Math.max(s.firstStep, lowPoint(b) - s.lossBlocks.blockSize() / 2);
    }

    private AlertEvent.Forecast lossForecast(RunState s) {
        DetectorConfig.Scale sc = config.growth().shortScale();
        LinearFit f = s.loss.fitNewest(sc.points());
        return grows(
                        s.loss,
                        sc,
                        t.lossMinRise[1],
                        f,
                        sc.points(),
                        config.growth().riseSigmas(),
                        NOISE_LAG)
                ? forecast(f)
                : null;
    }

    private void fire(
            RunState s,
            AlertType type,
            Severity severity,
            long onset,
            StepEvent e,
            Instant eventTime,
            Instant now,
            LinearFit fit,
            AlertEvent.Forecast forecast,
            Out out) {
        RunState.Slot slot = s.slot(type);
        slot.firing = true;
        slot.onsetStep = onset;
        slot.firedAtStep = e.step();
        slot.healthySteps = 0;
        AlertEvent.Fit f = fit == null ? null : new AlertEvent.Fit(fit.n(), fit.slope(), fit.doublingSteps(), fit.r2());
        AlertEvent.Diagnosis d = diagnoser.diagnose(type, s, e, fit, onset);
        slot.severity = (byte) severity.ordinal();
        slot.cause = (byte) d.cause().ordinal();
        slot.confidencePercent = (byte) Math.round(Math.max(0, Math.min(1, d.confidence())) * 100);
        out.add(new AlertEvent(
                1,
                AlertEvent.alertId(e.runId(), type, onset, s.attempt()),
                e.runId(),
                type,
                AlertStatus.FIRING,
                severity,
                e.step(),
                onset,
                eventTime,
                now,
                f,
                forecast,
                d));
    }

    private void resolve(RunState s, AlertType type, StepEvent e, Instant eventTime, Instant now, Out out) {
        resolve(
                s,
                type,
                e,
                eventTime,
                now,
                out,
                "no " + type + " condition for " + s.slot(type).healthySteps + " steps, up to step " + e.step());
    }

    private void resolve(RunState s, AlertType type, StepEvent e, Instant eventTime, Instant now, Out out, String why) {
        RunState.Slot slot = s.slot(type);
        slot.firing = false;
        slot.healthySteps = 0;
        // same severity and cause as the firing: receivers (Alertmanager) match a resolve to its firing by labels
        Severity severity = Severity.values()[Math.min(slot.severity, Severity.values().length - 1)];
        Cause cause = Cause.values()[Math.min(slot.cause, Cause.values().length - 1)];
        AlertEvent.Diagnosis d = new AlertEvent.Diagnosis(
                cause, slot.confidencePercent / 100.0, List.of(why), "Resolved; nothing to do unless it fires again.");
        out.add(new AlertEvent(
                1,
                AlertEvent.alertId(e.runId(), type, slot.onsetStep, s.attempt()),
                e.runId(),
                type,
                AlertStatus.RESOLVED,
                severity,
                e.step(),
                slot.onsetStep,
                eventTime,
                now,
                null,
                null,
                d));
    }

    private void resolveAll(RunState s, StepEvent e, Instant eventTime, Instant now, Out out, String why) {
        for (AlertType t : AlertType.values()) {
            if (s.slot(t).firing) {
                resolve(s, t, e, eventTime, now, out, why);
            }
        }
    }

    /** Steps until the fitted loss reaches the ceiling at the fitted rate; infinite when not growing. */
    public AlertEvent.Forecast forecast(LinearFit fit) {
        double steps =
                fit.slope() > 0 ? Math.max(0, (t.ceiling - fit.fittedLast()) / fit.slope()) : Double.POSITIVE_INFINITY;
        return new AlertEvent.Forecast(Math.rint(steps), config.ceiling());
    }
}
