package io.losswatch.detector.fit;

import java.util.Arrays;

/**
 * The newest {@code capacity} points of a series, (step, value), oldest first by index: a ring
 * buffer that overwrites its oldest point once full. Its arrays grow with the points: none before the
 * first, then {@value #FIRST_LENGTH}, doubling up to the capacity, so that a short run takes little
 * heap and a series a run never sends none; until they are full the points are not wrapped
 * ({@code head} is 0).
 */
final class Ring {
    /** Points the arrays hold at first. */
    static final int FIRST_LENGTH = 8;

    private static final long[] NO_STEPS = new long[0];
    private static final double[] NO_VALUES = new double[0];

    final int capacity;
    long[] steps;
    double[] ys;
    int size;
    int head; // index of the oldest point
    /** Steps were added in increasing order (they are, for a run): the extremes are then the ends. */
    boolean ordered = true;

    Ring(int capacity) {
        this.capacity = capacity;
        this.steps = NO_STEPS;
        this.ys = NO_VALUES;
    }

    /** Makes room for {@code n} points (at most the capacity); only while the points are not wrapped. */
    void ensure(int n) {
        if (n <= steps.length) {
            return;
        }
        int length = Math.max(steps.length, Math.min(capacity, FIRST_LENGTH));
        while (length < n) {
            length = Math.min(capacity, 2 * length);
        }
        steps = Arrays.copyOf(steps, length);
        ys = Arrays.copyOf(ys, length);
    }

    /** Heap the arrays take, headers included (none before the first point). */
    long heapBytes() {
        return steps.length == 0 ? 0 : 2 * (16 + 8L * steps.length);
    }

    /** Ring index of the i-th point from the oldest, for 0 <= i < 2 * capacity - head; no division. */
    int at(int i) {
        int k = head + i;
        return k >= capacity ? k - capacity : k;
    }

    void clear() {
        size = 0;
        head = 0;
        ordered = true;
    }

    /** Appends a point, overwriting the oldest when full. */
    void put(long step, double y) {
        if (size > 0 && step <= steps[at(size - 1)]) {
            ordered = false;
        }
        if (size == capacity) {
            steps[head] = step;
            ys[head] = y;
            head = at(1);
        } else {
            ensure(size + 1);
            int idx = at(size);
            steps[idx] = step;
            ys[idx] = y;
            size++;
        }
    }

    long stepAt(int i) {
        return steps[at(i)];
    }

    double valueAt(int i) {
        return ys[at(i)];
    }

    /** Copies of the values of points [from, to) counted from the oldest. */
    double[] values(int from, int to) {
        double[] v = new double[Math.max(0, to - from)];
        for (int i = 0; i < v.length; i++) {
            v[i] = ys[at(from + i)];
        }
        return v;
    }

    /** Copies of the newest {@code n} values (fewer when the ring holds fewer). */
    double[] newest(int n) {
        int k = Math.min(n, size);
        return values(size - k, size);
    }
}
