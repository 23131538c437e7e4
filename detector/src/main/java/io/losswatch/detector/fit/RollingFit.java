package io.losswatch.detector.fit;

/**
 * Least squares of y on x over the last {@code capacity} points, updated in O(1) per point with
 * running sums; optionally also over nested windows of the newest points ({@code new RollingFit(64,
 * 16)} fits the last 64 and the last 16 points from one ring). The points live in a {@link Ring},
 * the sums in {@link WindowSums}, the robust statistics in {@link RobustStats} and the binary form
 * in {@link RollingFitCodec}; this class is what the detector sees of them.
 */
public final class RollingFit {
    final Ring ring;
    final WindowSums sums;

    /**
     * @param capacity points in the window
     * @param inner sizes of nested windows of the newest points, each smaller than {@code capacity}
     */
    public RollingFit(int capacity, int... inner) {
        if (capacity < 3) {
            throw new IllegalArgumentException("a fit window needs at least 3 points, got " + capacity);
        }
        for (int c : inner) {
            if (c < 2 || c >= capacity) {
                throw new IllegalArgumentException("a nested window needs 2.." + (capacity - 1) + " points, got " + c);
            }
        }
        this.ring = new Ring(capacity);
        this.sums = new WindowSums(capacity, inner); // kept as a shared copy, never this array
    }

    /** Heap its arrays take now, headers included: they grow with the points, up to the capacity. */
    public long arrayBytes() {
        return ring.heapBytes();
    }

    public int capacity() {
        return ring.capacity;
    }

    public int size() {
        return ring.size;
    }

    public boolean isFull() {
        return ring.size == ring.capacity;
    }

    public void clear() {
        ring.clear();
        sums.clear();
    }

    /** Adds a point; y must be finite. */
    public void add(long step, double y) {
        if (ring.size == 0) {
            sums.origin = step;
        }
        sums.removeLeaving(ring);
        ring.put(step, y);
        sums.addNewest(ring, step, y);
    }

    /** The fit over the whole window. */
    public LinearFit fit() {
        return LeastSquares.fromSums(sums.sums, 0, ring.size, lastX());
    }

    /** The fit over the newest {@code window} points: the whole window or one of the nested ones. */
    public LinearFit fitNewest(int window) {
        int w = sums.required(window);
        return w == 0
                ? fit()
                : LeastSquares.fromSums(sums.sums, w * WindowSums.TERMS, Math.min(ring.size, window), lastX());
    }

    private double lastX() {
        return ring.size == 0 ? 0 : newestStep() - sums.origin;
    }

    /** Mean of y over the newest {@code window} points (a nested window or the whole), O(1). */
    public double meanNewest(int window) {
        int w = sums.required(window);
        int n = sums.count(w, ring.size);
        return n == 0 ? Double.NaN : sums.sum(w, WindowSums.SY) / n;
    }

    /** A fresh fit over the points at or after {@code fromStep}: O(window), for the rare moments that need it. */
    public LinearFit fitFrom(long fromStep) {
        LinearFit f = LeastSquares.from(ring, fromStep);
        return f == null ? fit() : f;
    }

    /** How many points are at or after {@code fromStep}. */
    public int countFrom(long fromStep) {
        int n = 0;
        for (int i = ring.size - 1; i >= 0 && ring.stepAt(i) >= fromStep; i--) {
            n++;
        }
        return n;
    }

    /** i-th point from the oldest (0) to the newest (size-1). */
    public long stepAt(int i) {
        return ring.stepAt(i);
    }

    public double valueAt(int i) {
        return ring.valueAt(i);
    }

    public long newestStep() {
        return ring.stepAt(ring.size - 1);
    }

    public double newestValue() {
        return ring.valueAt(ring.size - 1);
    }

    public double min() {
        return minNewest(ring.size);
    }

    /**
     * A lower bound of {@link #minNewest(int)} from the running sums, O(1): no value lies more than
     * sqrt(n - 1) standard deviations below the mean of n values (Samuelson's inequality). Falls back
     * to the exact minimum when {@code window} is not one of the windows with sums.
     */
    public double minLowerBoundNewest(int window) {
        int w = sums.of(window);
        int n = w < 0 ? 0 : sums.count(w, ring.size);
        if (n < 2) {
            return minNewest(window);
        }
        double mean = sums.sum(w, WindowSums.SY) / n;
        double meanSquare = sums.sum(w, WindowSums.SYY) / n;
        // a little below, so that rounding in the sums can never put the bound above the minimum
        return mean - Math.sqrt((n - 1) * sums.variance(w, n)) - 1e-6 * (1 + Math.sqrt(Math.max(0, meanSquare)));
    }

    /**
     * An upper bound of {@link #medianNewest(int)} from the running sums, O(1): a median lies within
     * one standard deviation of the mean. {@code window} must be one of the windows with sums.
     */
    public double medianUpperBoundNewest(int window) {
        int w = sums.required(window);
        int n = sums.count(w, ring.size);
        if (n == 0) {
            return Double.NaN;
        }
        double mean = sums.sum(w, WindowSums.SY) / n;
        // a little above, for the same rounding
        return mean
                + Math.sqrt(sums.variance(w, n))
                + 1e-6 * (1 + Math.sqrt(Math.max(0, sums.sum(w, WindowSums.SYY) / n)));
    }

    /** Smallest of the newest {@code n} values; +infinity when empty. O(n). */
    public double minNewest(int n) {
        double m = Double.POSITIVE_INFINITY;
        for (int i = Math.max(0, ring.size - n); i < ring.size; i++) {
            m = Math.min(m, ring.valueAt(i));
        }
        return m;
    }

    public double max() {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < ring.size; i++) {
            m = Math.max(m, ring.valueAt(i));
        }
        return m;
    }

    /** Median of points [from, to) counted from the oldest (the lower one of an even count); NaN when empty. O(k log k). */
    public double medianOf(int from, int to) {
        return to <= from ? Double.NaN : RobustStats.median(ring.values(from, to));
    }

    /** Median of the newest {@code n} values (the lower one of an even count); NaN when empty. O(n log n). */
    public double medianNewest(int n) {
        return RobustStats.median(ring.newest(n));
    }

    /** 1.4826 x the median absolute deviation of the newest {@code n} values: a robust noise scale. */
    public double madNewest(int n) {
        return RobustStats.mad(ring.newest(n));
    }

    /** {@link #madNewest} of points [from, to) counted from the oldest. */
    public double madOf(int from, int to) {
        return RobustStats.mad(ring.values(from, to));
    }

    /**
     * Robust noise scale of the values: 1.4826 x the median absolute deviation of the differences
     * {@code y[i + lag] - y[i]}, divided by sqrt 2 (a difference carries the noise of two points). A
     * steady trend only shifts the differences, so it does not count as noise; a lag of several steps
     * also sees noise that is correlated from step to step, which lag 1 would underrate. O(n log n).
     */
    public double diffNoise(int lag) {
        return RobustStats.diffNoise(ring, lag);
    }

    /**
     * Robust noise scale from second differences {@code y[i+1] - 2 y[i] + y[i-1]} (their spread is
     * sqrt 6 times the noise): neither a trend nor a gentle curve counts as noise. For short, curved
     * series such as validation losses. O(n log n).
     */
    public double curveNoise() {
        return curveNoiseNewest(ring.size);
    }

    /** {@link #curveNoise()} over the newest {@code n} points only (at least 5, else 0). */
    public double curveNoiseNewest(int n) {
        return RobustStats.curveNoiseNewest(ring, n);
    }

    /** {@link #diffNoise(int)} over the newest {@code n} points only, at lag 1. */
    public double diffNoiseNewest(int n) {
        return RobustStats.diffNoiseNewest(ring, n);
    }

    /** Mean of points [from, to) counted from the oldest. */
    public double mean(int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += ring.valueAt(i);
        }
        return to > from ? s / (to - from) : Double.NaN;
    }
}
