package io.losswatch.detector;

import io.losswatch.detector.fit.BlockFit;
import io.losswatch.detector.fit.LinearFit;
import io.losswatch.detector.fit.RollingFit;

/**
 * The tests of exponential growth that the loss and the gradient-norm rules share: a straight rising
 * line of ln(value) over a window, judged against the series' own noise, and where it began.
 */
final class GrowthChecks {
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
    /** Share of a growth window's slope that the newest third of it must still rise at. */
    static final double END_SLOPE_SHARE = 0.25;
    /**
     * Fewest points over which a zig-zag is taken out of a growth fit: one component of so many is not
     * the noise of a few points made to look like a line.
     */
    static final int ZIG_ZAG_POINTS = 32;
    /** A fit since the onset replaces the window's when it is steeper and its R^2 at least this share. */
    static final double SINCE_ONSET_R2_SHARE = 0.9;

    /**
     * Sustained and consistent growth over the newest {@code sc.points()} points (at least
     * {@code minCount} of them): rate, R^2, fitted rise (also against the run's own noise), thirds
     * in order, and the newest point really above the window's low. The O(1) tests go first. With
     * {@code zigZag}, a window of at least {@link #ZIG_ZAG_POINTS} points whose R^2 falls short is judged
     * again with a step-to-step zig-zag taken out ({@link #r2WithoutZigZag}): the loss, not the gradient.
     */
    static boolean grows(
            RollingFit w,
            DetectorConfig.Scale sc,
            double minRise,
            LinearFit f,
            int minCount,
            double riseSigmas,
            int noiseLag,
            boolean zigZag) {
        int n = Math.min(w.size(), sc.points());
        if (n < minCount || f.slope() < sc.minRate()) {
            return false;
        }
        // a line that explains too little is judged again without a zig-zag, last of the O(n) tests
        boolean lineFits = f.r2() >= sc.minR2();
        if (!lineFits && (!zigZag || n < ZIG_ZAG_POINTS)) {
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
        if (!lineFits && r2WithoutZigZag(w, f, n) < sc.minR2()) {
            return false;
        }
        // standard error of the fitted rise over n evenly spaced points is noise * sqrt(12 (n-1) / (n (n+1)))
        double riseError = w.diffNoise(noiseLag) * Math.sqrt(12.0 * (n - 1) / (n * (n + 1.0)));
        return rise >= riseSigmas * riseError;
    }

    /**
     * R^2 of the fit over the newest {@code n} points once a step-to-step alternation of its residuals
     * is taken out: a loss that zig-zags from one step to the next around a rising line (plain SGD at
     * the edge of stability, high and low batches in turn) is growing, although the zig-zag alone can
     * leave the line explaining less than half the variance. The alternation is one component, the
     * mean of the residuals with signs flipping point by point; without one it is about zero, and the
     * R^2 is the fit's own. O(n): asked only when the fit's R^2 falls short.
     */
    static double r2WithoutZigZag(RollingFit w, LinearFit f, int n) {
        int first = w.size() - n;
        long newest = w.newestStep();
        double mean = w.mean(first, first + n);
        double last = f.fittedLast();
        double total = 0;
        double residual = 0;
        double alternation = 0;
        for (int i = first; i < first + n; i++) {
            double y = w.valueAt(i);
            double r = y - (last - f.slope() * (newest - w.stepAt(i)));
            total += (y - mean) * (y - mean);
            residual += r * r;
            alternation += ((i - first) & 1) == 0 ? r : -r;
        }
        double zigZag = alternation * alternation / n;
        return total - zigZag > 0 ? 1 - (residual - zigZag) / (total - zigZag) : 0;
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
        double rho = correlation(w);
        return rho == 0 ? 1 : Math.sqrt((1 + rho) / (1 - rho));
    }

    /** The lag-1 correlation of the noise, as {@link #correlationFactor} estimates it: in [0, {@link #MAX_CORRELATION}]. */
    static double correlation(RollingFit w) {
        double wide = w.diffNoise(NOISE_LAG);
        if (!(wide > 0)) {
            return 0;
        }
        double ratio = w.diffNoise(1) / wide;
        return Math.max(0, Math.min(MAX_CORRELATION, 1 - ratio * ratio));
    }

    /**
     * How much wider the standard error of a mean of {@code k} neighbouring points is under AR(1) noise
     * of lag-1 correlation {@code rho} than under white noise: sqrt(1 + 2 sum_j (1 - j/k) rho^j). 1 for
     * a single point; towards {@link #correlationFactor}'s value as k grows.
     */
    static double meanCorrelationFactor(int k, double rho) {
        double sum = 0;
        double p = 1;
        for (int j = 1; j < k; j++) {
            p *= rho;
            sum += (1 - (double) j / k) * p;
        }
        return Math.sqrt(1 + 2 * sum);
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
     * The rate of the growth itself since {@code onset}, not diluted by the steps before it began:
     * the fit over the points since then when it is steeper and about as straight as the window's.
     */
    static LinearFit sinceOnset(RollingFit w, long onset, LinearFit window) {
        LinearFit since = w.fitFrom(onset);
        return since.n() >= 3 && since.slope() > window.slope() && since.r2() >= window.r2() * SINCE_ONSET_R2_SHARE
                ? since
                : window;
    }

    private GrowthChecks() {}
}
