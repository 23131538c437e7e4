package io.losswatch.detector;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.detector.fit.RollingFit;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Watches one series (ln of the loss, or of the gradient norm) for a jump far above its recent
 * robust level that does not come back: a blow-up. A spike that returns within a few steps is
 * forgotten. The reference is the median of the steps before the jump, so one earlier spike does
 * not move it, and the thresholds grow with the series' own robust noise, so a very noisy run needs
 * a bigger jump.
 *
 * <p>O(1) per step on the common path: the median is computed only when a step is at least the
 * jump factor above the window's minimum, which the median cannot be below.
 */
final class JumpTracker {
    /** Fewer steps than this before a jump say little about the run's noise. */
    static final int WEAK_REFERENCE = 4;
    /** Within 10% of the quiet level counts as at it. */
    static final double QUIET_MATCH = Math.log(1.1);
    /** A climb over at most this many steps in a row counts as one jump. */
    static final int MAX_CLIMB_STEPS = 3;

    /**
     * A jump out of a settled level (a full reference window before it) whose newest step, once it has
     * stayed up the stay steps, keeps less than this share of the jump's height (in ln) is still falling
     * away, as a healthy spike's excess does, and is judged on the median of the stay steps after. At a
     * run's start a jump that falls back is a rate too high killing the units, and is judged as before.
     */
    static final double RECOVERED_SHARE = 1.0 / 3;

    /** What one point did. */
    enum Event {
        NONE,
        /** A jump began, or a fresh one came on top of a jump not yet confirmed (its step unchanged). */
        JUMP,
        CONFIRMED,
        RETURNED
    }

    private long jumpStep = -1; // the pending or confirmed jump, -1 when none
    private double refLn; // ln level before the jump
    private double stayLn; // the series must stay above this to count as not back
    private double peakLn; // highest value since the jump
    private int stay; // steps after the jump spent above stayLn
    private boolean confirmed; // the jump stayed up: a blow-up
    private long lastJumpStep = -1; // the most recent jump, confirmed or not
    private boolean oneStep; // the jump came in one step, not as a climb over several or a level's rise
    private boolean atOnce; // confirmed on the step it jumped, without waiting for it to stay up
    private boolean recovering; // stayed up, but still falling away like a spike: judged on the steps after
    private boolean settled; // the jump came after a full reference window: out of a level, not a run's start

    /**
     * @param y ln of the new value
     * @param before the series' window, not yet holding {@code y}
     * @param quietLn ln of a level at which the series is known to be quiet (a classifier's chance
     *     level from {@code num_classes}: at initialisation every batch scores about ln C), NaN if none
     * @param rateHigh the learning rate is far above its optimizer's usual range: a jump out of the run's
     *     first points needs only the jump factor, as out of a quiet level (a rate that high throws the
     *     loss up at once; noise seldom does)
     */
    Event onPoint(long step, double y, RollingFit before, Thresholds.Jump c, double quietLn, boolean rateHigh) {
        if (jumpStep >= 0 && !confirmed) {
            double previousPeak = peakLn;
            peakLn = Math.max(peakLn, y);
            if (y - before.newestValue() >= c.lnJump()) {
                if (before.newestValue() >= previousPeak) {
                    // it has only climbed since the jump, and now jumps again, as far, on top of it: an
                    // escalating blow-up (x5 then x5 again), which often turns NaN or overflows on the
                    // next step; a bad batch's spike falls back instead
                    confirmed = true;
                    return Event.CONFIRMED;
                }
                // a fresh spike on top: the clock starts again, so two spikes are not one blow-up; reported
                // as a jump, for a height no spike reaches (thousands of times the level) is one at once
                stay = 0;
                return Event.JUMP;
            }
            if (recovering) {
                // a spike's excess falls away step after step: judged on the level of the steps since, so that
                // one noisy step left above the stay level neither confirms it nor one below ends it
                if (++stay < 2 * c.staySteps()) {
                    return Event.NONE;
                }
                recovering = false;
                if (levelSince(before, y, c.staySteps()) >= stayLn) {
                    confirmed = true;
                    return Event.CONFIRMED;
                }
                jumpStep = -1;
                return Event.RETURNED;
            }
            if (y >= stayLn) {
                if (++stay >= c.staySteps()) {
                    if (settled && y - refLn < RECOVERED_SHARE * (peakLn - refLn)) {
                        recovering = true;
                        return Event.NONE;
                    }
                    confirmed = true;
                    return Event.CONFIRMED;
                }
                return Event.NONE;
            }
            jumpStep = -1;
            return Event.RETURNED;
        }
        if (confirmed || before.size() == 0) {
            return Event.NONE;
        }
        double lnJump = c.lnJump();
        // the common path, O(1): far below a jump even above a lower bound of the window's minimum
        if (y - before.minLowerBoundNewest(c.referencePoints()) < lnJump
                || y - before.minNewest(c.referencePoints()) < lnJump) {
            return Event.NONE;
        }
        double ref = before.medianNewest(c.referencePoints());
        double sigma = before.madNewest(c.referencePoints());
        // with only a few steps before, their noise is unknown: ask for a jump no noise explains, unless
        // they sat at a level known to be quiet
        boolean weak = before.size() < WEAK_REFERENCE && !(Math.abs(ref - quietLn) <= QUIET_MATCH) && !rateHigh;
        double needed = weak ? weakJump(before, 0, before.size(), c) : Math.max(lnJump, c.jumpSigmas() * sigma);
        if (!weak && y - ref >= needed) {
            // the noise is the larger of the reference points' robust spread and that of the whole window at
            // a lag of several steps (more points, and noise correlated from step to step counts in full):
            // sixteen points alone can underrate a heavy noise by a third. Only asked of a jump the reference
            // points alone let pass: a larger noise only asks more.
            sigma = Math.max(sigma, before.diffNoise(GrowthChecks.NOISE_LAG));
            needed = Math.max(lnJump, c.jumpSigmas() * sigma);
        }
        long from = step;
        if (y - ref < needed) {
            // at the very start of a run, a climb over a few steps in a row (x3.5, x3.5, x3.5) is a jump
            // too, measured from where it began: with so few steps, the climb's own steps would otherwise
            // be taken for the level before it. Later, the median of the steps before is the reference.
            int n = before.size();
            int k = n - 1;
            while (k > 0 && n - k < MAX_CLIMB_STEPS && before.valueAt(k - 1) < before.valueAt(k)) {
                k--;
            }
            // a climb starts from the run's level, not from a dip below the points before it
            double base = k > 0 ? Math.max(before.valueAt(k), before.medianOf(0, k)) : before.valueAt(k);
            boolean quietBase = Math.abs(base - quietLn) <= QUIET_MATCH || rateHigh;
            if (k == n - 1
                    || k + 1 >= WEAK_REFERENCE
                    || !(y > before.newestValue())
                    || y - base < (quietBase ? needed : weakJump(before, 0, k + 1, c))) {
                return Event.NONE;
            }
            ref = base;
            sigma = 0; // the climb's own steps are not noise; the 20x asked for already stands for it
            from = before.stepAt(k + 1);
        }
        jumpStep = from;
        lastJumpStep = from;
        refLn = ref;
        peakLn = y;
        stayLn = ref + Math.max(c.lnStay(), c.staySigmas() * sigma);
        stay = 0;
        oneStep = from == step;
        atOnce = false;
        recovering = false;
        settled = before.size() >= c.referencePoints();
        return Event.JUMP;
    }

    /**
     * The jump asked over a reference of fewer than {@link #WEAK_REFERENCE} points [from, to): the
     * weak-reference factor when their noise is unknown (one point), less when they agree so closely
     * that even the 99% upper confidence bound of their noise (the sample standard deviation times
     * sqrt(df / chi2 quantile 0.01 at df = points - 1): 79.8, 9.97, 5.11 for 1, 2, 3 degrees of freedom)
     * leaves the jump {@code jumpSigmas} of it up; never less than the jump factor. A classifier at
     * initialisation scores about ln C on every batch, so its first losses agree to a fraction of a
     * percent, and a jump of 15x out of that is no noise.
     */
    static double weakJump(RollingFit before, int from, int to, Thresholds.Jump c) {
        int n = to - from;
        if (n < 2) {
            return c.lnWeakJump();
        }
        double mean = 0;
        for (int i = from; i < to; i++) {
            mean += before.valueAt(i);
        }
        mean /= n;
        double ss = 0;
        for (int i = from; i < to; i++) {
            double d = before.valueAt(i) - mean;
            ss += d * d;
        }
        double sd = Math.sqrt(ss / (n - 1));
        double upper = sd * NOISE_BOUND[Math.min(n - 1, NOISE_BOUND.length - 1)];
        return Math.min(c.lnWeakJump(), Math.max(c.lnJump(), c.jumpSigmas() * upper));
    }

    /** sqrt(df / chi2_0.01(df)) for df = 0 (unused), 1, 2, 3: the 99% upper bound of a noise from df + 1 points. */
    private static final double[] NOISE_BOUND = {Double.POSITIVE_INFINITY, 79.8, 9.97, 5.11};

    /**
     * Records a rise that was not one jump but has stayed up (a climb over several steps to a level
     * the run then keeps) as a confirmed blow-up from {@code refLn} at {@code from}, as if it had
     * jumped there: the alert, its description and its resolution then work as for a jump.
     */
    void confirmRise(long from, double refLn, double levelLn, double stayLn) {
        jumpStep = from;
        lastJumpStep = from;
        this.refLn = refLn;
        peakLn = levelLn;
        this.stayLn = stayLn;
        stay = 0;
        confirmed = true;
        oneStep = false;
        atOnce = false;
        recovering = false;
        settled = false;
    }

    /** Median of the newest {@code n} values: the {@code n - 1} newest of {@code before}, and {@code y}. */
    private static double levelSince(RollingFit before, double y, int n) {
        double[] v = new double[n];
        int size = before.size();
        for (int i = 0; i < n - 1; i++) {
            v[i] = before.valueAt(size - 1 - i);
        }
        v[n - 1] = y;
        Arrays.sort(v);
        return (v[(n - 1) / 2] + v[n / 2]) / 2;
    }

    /** Confirms the jump just seen as a blow-up without waiting for it to stay up. */
    Event confirmNow() {
        confirmed = true;
        atOnce = true;
        return Event.CONFIRMED;
    }

    /** True while a confirmed blow-up has not come back below the stay level. */
    boolean stillUp(double y) {
        return confirmed && y >= stayLn;
    }

    /** Forgets the confirmed blow-up (its alert resolved, or it was not wanted). */
    void reset() {
        jumpStep = -1;
        confirmed = false;
        stay = 0;
        oneStep = false;
        atOnce = false;
        recovering = false;
        settled = false;
    }

    void clear() {
        reset();
        lastJumpStep = -1;
    }

    long jumpStep() {
        return jumpStep;
    }

    long lastJumpStep() {
        return lastJumpStep;
    }

    double refLn() {
        return refLn;
    }

    double stayLn() {
        return stayLn;
    }

    double peakLn() {
        return peakLn;
    }

    boolean confirmed() {
        return confirmed;
    }

    /** The pending or confirmed jump came in a single step. */
    boolean oneStep() {
        return oneStep;
    }

    /** The blow-up was confirmed on the step it jumped. */
    boolean atOnce() {
        return atOnce;
    }

    private static final int CONFIRMED = 1, LEVELS = 2, ONE_STEP = 4, AT_ONCE = 8, RECOVERING = 16, SETTLED = 32;

    /** Steps relative to {@code base}; the levels only once there has been a jump (they start at 0). */
    void writeTo(StateWriter w, long base) {
        boolean levels = StateWriter.unlessZero(refLn, 1) != 0
                || StateWriter.unlessZero(stayLn, 1) != 0
                || StateWriter.unlessZero(peakLn, 1) != 0;
        w.u8((confirmed ? CONFIRMED : 0)
                | (levels ? LEVELS : 0)
                | (oneStep ? ONE_STEP : 0)
                | (atOnce ? AT_ONCE : 0)
                | (recovering ? RECOVERING : 0)
                | (settled ? SETTLED : 0));
        w.step(jumpStep, base).step(lastJumpStep, base).varInt(stay);
        if (levels) {
            w.f64(refLn).f64(stayLn).f64(peakLn);
        }
    }

    void readFrom(StateReader r, long base) {
        int flags = r.u8();
        confirmed = (flags & CONFIRMED) != 0;
        oneStep = (flags & ONE_STEP) != 0;
        atOnce = (flags & AT_ONCE) != 0;
        recovering = (flags & RECOVERING) != 0;
        settled = (flags & SETTLED) != 0;
        jumpStep = r.step(base);
        lastJumpStep = r.step(base);
        stay = r.varInt();
        boolean levels = (flags & LEVELS) != 0;
        refLn = levels ? r.f64() : 0;
        stayLn = levels ? r.f64() : 0;
        peakLn = levels ? r.f64() : 0;
    }

    /** Reads the form of run state formats 3 and 4. */
    void readLegacy(ByteBuffer b) {
        jumpStep = b.getLong();
        refLn = b.getDouble();
        stayLn = b.getDouble();
        peakLn = b.getDouble();
        stay = b.getInt();
        confirmed = b.get() == 1;
        lastJumpStep = b.getLong();
        recovering = false;
        settled = false;
    }
}
