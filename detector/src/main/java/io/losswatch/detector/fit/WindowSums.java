package io.losswatch.detector.fit;

import java.util.Arrays;

/**
 * Running sums of least squares (x, y, x^2, xy, y^2) over a ring's whole window and over nested
 * windows of its newest points, updated in O(1) per point. To keep the sums exact, x is stored
 * relative to an origin that is moved to the oldest point, with the sums recomputed, once every
 * {@code capacity} points: O(1) amortized, and no drift however long the run.
 */
final class WindowSums {
    static final int SX = 0, SY = 1, SXX = 2, SXY = 3, SYY = 4, TERMS = 5;

    /** The nested windows of every series with the same sizes share one array: it is never changed. */
    private static volatile int[][] sharedInner = new int[0][];

    final int capacity;
    final int[] inner;
    /**
     * Window w's {sx, sy, sxx, sxy, syy} at {@code w * TERMS}: w = 0 the whole window, 1 + i the newest
     * {@code inner[i]} points. One flat array: a run holds four of these.
     */
    final double[] sums;

    long origin;
    int sinceRebase;

    WindowSums(int capacity, int[] inner) {
        this.capacity = capacity;
        this.inner = shared(inner);
        this.sums = new double[(1 + inner.length) * TERMS];
    }

    /** The one array of these sizes: a run state reads several windows, and a config has a few sizes. */
    private static int[] shared(int[] inner) {
        for (int[] known : sharedInner) {
            if (Arrays.equals(known, inner)) {
                return known;
            }
        }
        synchronized (WindowSums.class) {
            for (int[] known : sharedInner) {
                if (Arrays.equals(known, inner)) {
                    return known;
                }
            }
            int[][] more = Arrays.copyOf(sharedInner, sharedInner.length + 1);
            more[sharedInner.length] = inner.clone();
            sharedInner = more;
            return more[more.length - 1];
        }
    }

    /** Windows summed: the whole one and the nested ones. */
    int windows() {
        return 1 + inner.length;
    }

    void clear() {
        sinceRebase = 0;
        Arrays.fill(sums, 0);
    }

    /** Takes out the points that leave a window when {@code r}, not yet holding it, gets its next point. */
    void removeLeaving(Ring r) {
        for (int i = 0; i < inner.length; i++) {
            if (r.size >= inner[i]) {
                int idx = r.at(r.size - inner[i]);
                remove((1 + i) * TERMS, r.steps[idx] - origin, r.ys[idx]);
            }
        }
        if (r.size == capacity) {
            remove(0, r.steps[r.head] - origin, r.ys[r.head]);
        }
    }

    /** Adds the point that {@code r} has just taken as its newest. */
    void addNewest(Ring r, long step, double y) {
        double x = step - origin;
        double xx = x * x;
        double xy = x * y;
        double yy = y * y;
        for (int at = 0; at < sums.length; at += TERMS) {
            sums[at + SX] += x;
            sums[at + SY] += y;
            sums[at + SXX] += xx;
            sums[at + SXY] += xy;
            sums[at + SYY] += yy;
        }
        if (++sinceRebase >= capacity) {
            rebase(r);
        }
    }

    private void remove(int at, double x, double y) {
        sums[at + SX] -= x;
        sums[at + SY] -= y;
        sums[at + SXX] -= x * x;
        sums[at + SXY] -= x * y;
        sums[at + SYY] -= y * y;
    }

    void rebase(Ring r) {
        origin = r.steps[r.head];
        Arrays.fill(sums, 0);
        for (int w = 0; w < windows(); w++) {
            int at = w * TERMS;
            int n = w == 0 ? r.size : Math.min(r.size, inner[w - 1]);
            for (int i = r.size - n; i < r.size; i++) {
                int idx = r.at(i);
                double x = r.steps[idx] - origin;
                double y = r.ys[idx];
                sums[at + SX] += x;
                sums[at + SY] += y;
                sums[at + SXX] += x * x;
                sums[at + SXY] += x * y;
                sums[at + SYY] += y * y;
            }
        }
        sinceRebase = 0;
    }

    /** Index into {@link #sums} of the window of the newest {@code window} points, -1 when it has none. */
    int of(int window) {
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

    /** Index of the window of {@code window} points; fails when there is none. */
    int required(int window) {
        int w = of(window);
        if (w < 0) {
            throw new IllegalArgumentException("no nested window of " + window + " points");
        }
        return w;
    }

    /** Points in window {@code w} while the ring holds {@code size}. */
    int count(int w, int size) {
        return w == 0 ? size : Math.min(size, inner[w - 1]);
    }

    /** Population variance of y over window {@code w} of the sums, holding {@code n} points. */
    double variance(int w, int n) {
        double mean = sum(w, SY) / n;
        return Math.max(0, sum(w, SYY) / n - mean * mean);
    }

    /** Term {@code term} ({@link #SX} ...) of window {@code w}'s sums. */
    double sum(int w, int term) {
        return sums[w * TERMS + term];
    }
}
