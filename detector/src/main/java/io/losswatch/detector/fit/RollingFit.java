package io.losswatch.detector.fit;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Least squares of y on x over the last {@code capacity} points, updated in O(1) per point with
 * running sums; optionally also over nested windows of the newest points ({@code new RollingFit(64,
 * 16)} fits the last 64 and the last 16 points from one ring). To keep the sums exact, x is stored
 * relative to an origin that is moved to the oldest point, with the sums recomputed, once every
 * {@code capacity} points: O(1) amortized, and no drift however long the run.
 */
public final class RollingFit {
    private static final int SX = 0, SY = 1, SXX = 2, SXY = 3, SYY = 4;

    private final int capacity;
    private final int[] inner;
    private final long[] steps;
    private final double[] ys;
    private int size;
    private int head; // index of the oldest point
    private long origin;
    private int sinceRebase;
    /** Steps were added in increasing order (they are, for a run): the extremes are then the ends. */
    private boolean ordered = true;
    /** [0]: the whole window; [1 + i]: the newest {@code inner[i]} points. Each {sx, sy, sxx, sxy, syy}. */
    private final double[][] sums;

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
        this.capacity = capacity;
        this.inner = inner.clone();
        this.steps = new long[capacity];
        this.ys = new double[capacity];
        this.sums = new double[1 + inner.length][5];
    }

    public int capacity() {
        return capacity;
    }

    /** Ring index of the i-th point from the oldest, for 0 <= i < 2 * capacity - head; no division. */
    private int at(int i) {
        int k = head + i;
        return k >= capacity ? k - capacity : k;
    }

    public int size() {
        return size;
    }

    public boolean isFull() {
        return size == capacity;
    }

    public void clear() {
        size = 0;
        head = 0;
        sinceRebase = 0;
        ordered = true;
        for (double[] s : sums) {
            Arrays.fill(s, 0);
        }
    }

    /** Adds a point; y must be finite. */
    public void add(long step, double y) {
        if (size == 0) {
            origin = step;
        } else if (step <= steps[at(size - 1)]) {
            ordered = false;
        }
        for (int i = 0; i < inner.length; i++) {
            if (size >= inner[i]) {
                int idx = at(size - inner[i]); // leaves the nested window
                remove(sums[1 + i], steps[idx] - origin, ys[idx]);
            }
        }
        if (size == capacity) {
            remove(sums[0], steps[head] - origin, ys[head]);
            steps[head] = step;
            ys[head] = y;
            head = at(1);
        } else {
            int idx = at(size);
            steps[idx] = step;
            ys[idx] = y;
            size++;
        }
        double x = step - origin;
        for (double[] s : sums) {
            s[SX] += x;
            s[SY] += y;
            s[SXX] += x * x;
            s[SXY] += x * y;
            s[SYY] += y * y;
        }
        if (++sinceRebase >= capacity) {
            rebase();
        }
    }

    private static void remove(double[] s, double x, double y) {
        s[SX] -= x;
        s[SY] -= y;
        s[SXX] -= x * x;
        s[SXY] -= x * y;
        s[SYY] -= y * y;
    }

    private void rebase() {
        origin = steps[head];
        for (int w = 0; w < sums.length; w++) {
            double[] s = sums[w];
            Arrays.fill(s, 0);
            int n = w == 0 ? size : Math.min(size, inner[w - 1]);
            for (int i = size - n; i < size; i++) {
                int idx = at(i);
                double x = steps[idx] - origin;
                double y = ys[idx];
                s[SX] += x;
                s[SY] += y;
                s[SXX] += x * x;
                s[SXY] += x * y;
                s[SYY] += y * y;
            }
        }
        sinceRebase = 0;
    }

    /** The fit over the whole window. */
    public LinearFit fit() {
        return fit(sums[0], size);
    }

    /** The fit over the newest {@code window} points: the whole window or one of the nested ones. */
    public LinearFit fitNewest(int window) {
        int w = sumsOf(window);
        if (w < 0) {
            throw new IllegalArgumentException("no nested window of " + window + " points");
        }
        return w == 0 ? fit() : fit(sums[w], Math.min(size, window));
    }

    /** Index into {@link #sums} of the window of the newest {@code window} points, -1 when it has none. */
    private int sumsOf(int window) {
        if (window == capacity) {
            return 0;
        }
        for (int i = 0; i < inner.length; i++) {
            if (inner[i] == window) {
                return 1 + i;
            }
        }
        return -1;
    }

    /** Mean of y over the newest {@code window} points (a nested window or the whole), O(1). */
    public double meanNewest(int window) {
        int w = sumsOf(window);
        if (w < 0) {
            throw new IllegalArgumentException("no nested window of " + window + " points");
        }
        int n = w == 0 ? size : Math.min(size, window);
        return n == 0 ? Double.NaN : sums[w][SY] / n;
    }

    private LinearFit fit(double[] s, int count) {
        if (count < 2) {
            return LinearFit.EMPTY;
        }
        double n = count;
        double vx = n * s[SXX] - s[SX] * s[SX];
        double vy = n * s[SYY] - s[SY] * s[SY];
        double cov = n * s[SXY] - s[SX] * s[SY];
        double lastX = newestStep() - origin;
        if (vx <= 0) {
            return new LinearFit(count, 0, s[SY] / n, 0, lastX);
        }
        // relative tolerance: a flat series has vy ~ rounding noise, not variance
        if (vy <= 1e-12 * Math.max(1, s[SYY] * n)) {
            return new LinearFit(count, 0, s[SY] / n, 0, lastX);
        }
        double slope = cov / vx;
        double intercept = (s[SY] - slope * s[SX]) / n;
        double r2 = Math.min(1, (cov * cov) / (vx * vy));
        return new LinearFit(count, slope, intercept, r2, lastX);
    }

    /** A fresh fit over the points at or after {@code fromStep}: O(window), for the rare moments that need it. */
    public LinearFit fitFrom(long fromStep) {
        double n = 0, ax = 0, ay = 0, axx = 0, axy = 0, ayy = 0;
        long o = -1;
        long last = 0;
        for (int i = 0; i < size; i++) {
            int idx = at(i);
            if (steps[idx] < fromStep) {
                continue;
            }
            if (o < 0) {
                o = steps[idx];
            }
            double x = steps[idx] - o;
            double y = ys[idx];
            n++;
            ax += x;
            ay += y;
            axx += x * x;
            axy += x * y;
            ayy += y * y;
            last = steps[idx];
        }
        if (n < 3) {
            return fit();
        }
        double vx = n * axx - ax * ax;
        double vy = n * ayy - ay * ay;
        double cov = n * axy - ax * ay;
        if (vx <= 0 || vy <= 1e-12 * Math.max(1, ayy * n)) {
            return new LinearFit((int) n, 0, ay / n, 0, last - o);
        }
        double slope = cov / vx;
        return new LinearFit((int) n, slope, (ay - slope * ax) / n, Math.min(1, cov * cov / (vx * vy)), last - o);
    }

    /** How many points are at or after {@code fromStep}. */
    public int countFrom(long fromStep) {
        int n = 0;
        for (int i = size - 1; i >= 0 && steps[at(i)] >= fromStep; i--) {
            n++;
        }
        return n;
    }

    /** i-th point from the oldest (0) to the newest (size-1). */
    public long stepAt(int i) {
        return steps[at(i)];
    }

    public double valueAt(int i) {
        return ys[at(i)];
    }

    public long newestStep() {
        return steps[at(size - 1)];
    }

    public double newestValue() {
        return ys[at(size - 1)];
    }

    public double min() {
        return minNewest(size);
    }

    /**
     * A lower bound of {@link #minNewest(int)} from the running sums, O(1): no value lies more than
     * sqrt(n - 1) standard deviations below the mean of n values (Samuelson's inequality). Falls back
     * to the exact minimum when {@code window} is not one of the windows with sums.
     */
    public double minLowerBoundNewest(int window) {
        int w = sumsOf(window);
        int n = w < 0 ? 0 : w == 0 ? size : Math.min(size, window);
        if (n < 2) {
            return minNewest(window);
        }
        double mean = sums[w][SY] / n;
        double meanSquare = sums[w][SYY] / n;
        // a little below, so that rounding in the sums can never put the bound above the minimum
        return mean - Math.sqrt((n - 1) * variance(w, n)) - 1e-6 * (1 + Math.sqrt(Math.max(0, meanSquare)));
    }

    /**
     * An upper bound of {@link #medianNewest(int)} from the running sums, O(1): a median lies within
     * one standard deviation of the mean. {@code window} must be one of the windows with sums.
     */
    public double medianUpperBoundNewest(int window) {
        int w = sumsOf(window);
        if (w < 0) {
            throw new IllegalArgumentException("no nested window of " + window + " points");
        }
        int n = w == 0 ? size : Math.min(size, window);
        if (n == 0) {
            return Double.NaN;
        }
        double mean = sums[w][SY] / n;
        // a little above, for the same rounding
        return mean + Math.sqrt(variance(w, n)) + 1e-6 * (1 + Math.sqrt(Math.max(0, sums[w][SYY] / n)));
    }

    /** Population variance of y over window {@code w} of the sums, holding {@code n} points. */
    private double variance(int w, int n) {
        double mean = sums[w][SY] / n;
        return Math.max(0, sums[w][SYY] / n - mean * mean);
    }

    /** Smallest of the newest {@code n} values; +infinity when empty. O(n). */
    public double minNewest(int n) {
        double m = Double.POSITIVE_INFINITY;
        for (int i = Math.max(0, size - n); i < size; i++) {
            m = Math.min(m, ys[at(i)]);
        }
        return m;
    }

    public double max() {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            m = Math.max(m, ys[at(i)]);
        }
        return m;
    }

    /** Median of points [from, to) counted from the oldest (the lower one of an even count); NaN when empty. O(k log k). */
    public double medianOf(int from, int to) {
        if (to <= from) {
            return Double.NaN;
        }
        double[] v = new double[to - from];
        for (int i = 0; i < v.length; i++) {
            v[i] = ys[at(from + i)];
        }
        Arrays.sort(v);
        return v[(v.length - 1) / 2];
    }

    /** Median of the newest {@code n} values (the lower one of an even count); NaN when empty. O(n log n). */
    public double medianNewest(int n) {
        double[] v = newest(n);
        if (v.length == 0) {
            return Double.NaN;
        }
        Arrays.sort(v);
        return v[(v.length - 1) / 2];
    }

    /** 1.4826 x the median absolute deviation of the newest {@code n} values: a robust noise scale. */
    public double madNewest(int n) {
        return mad(newest(n));
    }

    /** {@link #madNewest} of points [from, to) counted from the oldest. */
    public double madOf(int from, int to) {
        double[] v = new double[Math.max(0, to - from)];
        for (int i = 0; i < v.length; i++) {
            v[i] = ys[at(from + i)];
        }
        return mad(v);
    }

    private static double mad(double[] v) {
        if (v.length < 3) {
            return 0;
        }
        Arrays.sort(v);
        double med = v[v.length / 2];
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.abs(v[i] - med);
        }
        Arrays.sort(v);
        return 1.4826 * v[v.length / 2];
    }

    private double[] newest(int n) {
        int k = Math.min(n, size);
        double[] v = new double[k];
        for (int i = 0; i < k; i++) {
            v[i] = ys[at(size - k + i)];
        }
        return v;
    }

    /**
     * Robust noise scale of the values: 1.4826 x the median absolute deviation of the differences
     * {@code y[i + lag] - y[i]}, divided by sqrt 2 (a difference carries the noise of two points). A
     * steady trend only shifts the differences, so it does not count as noise; a lag of several steps
     * also sees noise that is correlated from step to step, which lag 1 would underrate. O(n log n).
     */
    public double diffNoise(int lag) {
        if (size < lag + 3) {
            return 0;
        }
        double[] d = new double[size - lag];
        for (int i = 0; i < d.length; i++) {
            d[i] = ys[at(i + lag)] - ys[at(i)];
        }
        Arrays.sort(d);
        double med = d[d.length / 2];
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.abs(d[i] - med);
        }
        Arrays.sort(d);
        return 1.4826 * d[d.length / 2] / Math.sqrt(2);
    }

    /**
     * Robust noise scale from second differences {@code y[i+1] - 2 y[i] + y[i-1]} (their spread is
     * sqrt 6 times the noise): neither a trend nor a gentle curve counts as noise. For short, curved
     * series such as validation losses. O(n log n).
     */
    public double curveNoise() {
        return curveNoiseNewest(size);
    }

    /** {@link #curveNoise()} over the newest {@code n} points only (at least 5, else 0). */
    public double curveNoiseNewest(int n) {
        int k = Math.min(n, size);
        if (k < 5) {
            return 0;
        }
        double[] d = new double[k - 2];
        for (int i = 0; i < d.length; i++) {
            int a = size - k + i;
            d[i] = ys[at(a + 2)] - 2 * ys[at(a + 1)] + ys[at(a)];
        }
        Arrays.sort(d);
        double med = d[d.length / 2];
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.abs(d[i] - med);
        }
        Arrays.sort(d);
        return 1.4826 * d[d.length / 2] / Math.sqrt(6);
    }

    /** {@link #diffNoise(int)} over the newest {@code n} points only, at lag 1. */
    public double diffNoiseNewest(int n) {
        int k = Math.min(n, size);
        if (k < 3) {
            return 0;
        }
        double[] d = new double[k - 1];
        for (int i = 0; i < d.length; i++) {
            int a = size - k + i;
            d[i] = ys[at(a + 1)] - ys[at(a)];
        }
        Arrays.sort(d);
        double med = d[d.length / 2];
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.abs(d[i] - med);
        }
        Arrays.sort(d);
        return 1.4826 * d[d.length / 2] / Math.sqrt(2);
    }

    /** Mean of points [from, to) counted from the oldest. */
    public double mean(int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += ys[at(i)];
        }
        return to > from ? s / (to - from) : Double.NaN;
    }

    // -- compact binary form for the state store. The running sums go too, bit for bit, so that a
    // restored run makes exactly the decisions it would have made without the restart. Steps are
    // written as 32-bit offsets from the origin when they fit (they always do unless steps jump by
    // more than 2^31 inside one window).

    public int serializedSize() {
        return 4 + 8 + 4 + 4 + 1 + 4 * inner.length + sums.length * 5 * 8 + 1 + size * (wideSteps() ? 16 : 12);
    }

    private boolean wideSteps() {
        if (ordered && size > 0) {
            // serialized on every step of every run: O(1) instead of a scan when steps only grow
            long lo = steps[at(0)] - origin;
            long hi = steps[at(size - 1)] - origin;
            return lo < Integer.MIN_VALUE || hi > Integer.MAX_VALUE;
        }
        for (int i = 0; i < size; i++) {
            long d = steps[at(i)] - origin;
            if (d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
                return true;
            }
        }
        return false;
    }

    public void writeTo(ByteBuffer b) {
        b.putInt(size);
        b.putLong(origin).putInt(sinceRebase);
        b.putInt(capacity).put((byte) inner.length);
        for (int c : inner) {
            b.putInt(c);
        }
        for (double[] s : sums) {
            for (double v : s) {
                b.putDouble(v);
            }
        }
        boolean wide = wideSteps();
        b.put((byte) (wide ? 1 : 0));
        for (int i = 0; i < size; i++) {
            int idx = at(i);
            if (wide) {
                b.putLong(steps[idx]);
            } else {
                b.putInt((int) (steps[idx] - origin));
            }
            b.putDouble(ys[idx]);
        }
    }

    public void readFrom(ByteBuffer b) {
        clear();
        int n = b.getInt();
        long o = b.getLong();
        int since = b.getInt();
        int writtenCapacity = b.getInt();
        int[] writtenInner = new int[b.get()];
        for (int i = 0; i < writtenInner.length; i++) {
            writtenInner[i] = b.getInt();
        }
        int windows = 1 + writtenInner.length;
        double[][] read = new double[windows][5];
        for (double[] s : read) {
            for (int k = 0; k < 5; k++) {
                s[k] = b.getDouble();
            }
        }
        boolean wide = b.get() == 1;
        for (int i = 0; i < n; i++) {
            long s = wide ? b.getLong() : o + b.getInt();
            double y = b.getDouble();
            if (i >= n - capacity) {
                steps[size] = s;
                ys[size] = y;
                size++;
            }
        }
        head = 0;
        origin = o;
        ordered = true;
        for (int i = 1; i < size; i++) {
            if (steps[i] <= steps[i - 1]) {
                ordered = false;
            }
        }
        if (n <= capacity && writtenCapacity == capacity && Arrays.equals(writtenInner, inner)) {
            sinceRebase = since;
            for (int w = 0; w < windows; w++) {
                System.arraycopy(read[w], 0, sums[w], 0, 5);
            }
        } else {
            rebase(); // written with other windows: the sums no longer apply
        }
    }
}
