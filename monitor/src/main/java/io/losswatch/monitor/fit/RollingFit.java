package io.losswatch.monitor.fit;

import java.nio.ByteBuffer;

/**
 * Least squares of y on x over the last {@code capacity} points, updated in O(1) per point with
 * running sums. To keep the sums exact, x is stored relative to an origin that is moved to the
 * oldest point, with the sums recomputed, once every {@code capacity} points: O(1) amortized, and
 * no drift however long the run.
 */
public final class RollingFit {
    private final int capacity;
    private final long[] steps;
    private final double[] ys;
    private int size;
    private int head; // index of the oldest point
    private long origin;
    private int sinceRebase;
    private double sx, sy, sxx, sxy, syy;

    public RollingFit(int capacity) {
        if (capacity < 3) {
            throw new IllegalArgumentException("a fit window needs at least 3 points, got " + capacity);
        }
        this.capacity = capacity;
        this.steps = new long[capacity];
        this.ys = new double[capacity];
    }

    public int capacity() {
        return capacity;
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
        sx = sy = sxx = sxy = syy = 0;
    }

    /** Adds a point; y must be finite. */
    public void add(long step, double y) {
        if (size == 0) {
            origin = step;
        }
        if (size == capacity) {
            double ox = steps[head] - origin;
            double oy = ys[head];
            sx -= ox;
            sy -= oy;
            sxx -= ox * ox;
            sxy -= ox * oy;
            syy -= oy * oy;
            steps[head] = step;
            ys[head] = y;
            head = (head + 1) % capacity;
        } else {
            int idx = (head + size) % capacity;
            steps[idx] = step;
            ys[idx] = y;
            size++;
        }
        double x = step - origin;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
        if (++sinceRebase >= capacity) {
            rebase();
        }
    }

    private void rebase() {
        origin = steps[head];
        sx = sy = sxx = sxy = syy = 0;
        for (int i = 0; i < size; i++) {
            int idx = (head + i) % capacity;
            double x = steps[idx] - origin;
            double y = ys[idx];
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
            syy += y * y;
        }
        sinceRebase = 0;
    }

    public LinearFit fit() {
        if (size < 2) {
            return LinearFit.EMPTY;
        }
        double n = size;
        double vx = n * sxx - sx * sx;
        double vy = n * syy - sy * sy;
        double cov = n * sxy - sx * sy;
        if (vx <= 0) {
            return new LinearFit(size, 0, sy / n, 0, newestStep() - origin);
        }
        // relative tolerance: a flat series has vy ~ rounding noise, not variance
        if (vy <= 1e-12 * Math.max(1, syy * n)) {
            return new LinearFit(size, 0, sy / n, 0, newestStep() - origin);
        }
        double slope = cov / vx;
        double intercept = (sy - slope * sx) / n;
        double r2 = Math.min(1, (cov * cov) / (vx * vy));
        return new LinearFit(size, slope, intercept, r2, newestStep() - origin);
    }

    /** A fresh fit over the points at or after {@code fromStep}: O(window), for the rare moments that need it. */
    public LinearFit fitFrom(long fromStep) {
        double n = 0, ax = 0, ay = 0, axx = 0, axy = 0, ayy = 0;
        long o = -1;
        long last = 0;
        for (int i = 0; i < size; i++) {
            int idx = (head + i) % capacity;
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

    /** i-th point from the oldest (0) to the newest (size-1). */
    public long stepAt(int i) {
        return steps[(head + i) % capacity];
    }

    public double valueAt(int i) {
        return ys[(head + i) % capacity];
    }

    public long newestStep() {
        return steps[(head + size - 1) % capacity];
    }

    public double newestValue() {
        return ys[(head + size - 1) % capacity];
    }

    public double min() {
        double m = Double.POSITIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            m = Math.min(m, ys[(head + i) % capacity]);
        }
        return m;
    }

    /** Mean of points [from, to) counted from the oldest. */
    public double mean(int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += ys[(head + i) % capacity];
        }
        return to > from ? s / (to - from) : Double.NaN;
    }

    // -- compact binary form for the state store. The running sums go too, bit for bit, so that a
    // restored run makes exactly the decisions it would have made without the restart.

    public int serializedSize() {
        return 4 + 8 + 4 + 5 * 8 + size * 16;
    }

    public void writeTo(ByteBuffer b) {
        b.putInt(size);
        b.putLong(origin).putInt(sinceRebase);
        b.putDouble(sx).putDouble(sy).putDouble(sxx).putDouble(sxy).putDouble(syy);
        for (int i = 0; i < size; i++) {
            int idx = (head + i) % capacity;
            b.putLong(steps[idx]);
            b.putDouble(ys[idx]);
        }
    }

    public void readFrom(ByteBuffer b) {
        clear();
        int n = b.getInt();
        long o = b.getLong();
        int since = b.getInt();
        double[] sums = {b.getDouble(), b.getDouble(), b.getDouble(), b.getDouble(), b.getDouble()};
        for (int i = 0; i < n; i++) {
            long s = b.getLong();
            double y = b.getDouble();
            if (i >= n - capacity) {
                steps[size] = s;
                ys[size] = y;
                size++;
            }
        }
        head = 0;
        if (n <= capacity) {
            origin = o;
            sinceRebase = since;
            sx = sums[0];
            sy = sums[1];
            sxx = sums[2];
            sxy = sums[3];
            syy = sums[4];
        } else {
            rebase(); // written with a larger window: the sums no longer apply
        }
    }
}
