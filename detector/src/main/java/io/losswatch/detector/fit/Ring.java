package io.losswatch.detector.fit;

import java.util.Arrays;

/**
 * The newest {@code capacity} points of a series, (step, value), oldest first by index: a ring
 * buffer that overwrites its oldest point once full. Its arrays grow with the points, doubling from
 * {@value #FIRST_LENGTH} up to the capacity, so that a short run or a series a run never sends takes
 * little heap; until they are full the points are not wrapped ({@code head} is 0).
 */
final class Ring {
    /** Points the arrays hold at first. */
    static final int FIRST_LENGTH = 8;

    final int capacity;
    long[] steps;
    double[] ys;
    int size;
    int head; // index of the oldest point
    /** Steps were added in increasing order (they are, for a run): the extremes are then the ends. */
    boolean ordered = true;

    Ring(int capacity) {
        this.capacity = capacity;
        int length = Math.min(capacity, FIRST_LENGTH);
        this.steps = new long[length];
        this.ys = new double[length];
    }

    /** Makes room for {@code n} points (at most the capacity); only while the points are not wrapped. */
    void ensure(int n) {
        int length = steps.length;
        if (n <= length) {
            return;
        }
        while (length < n) {
            length = Math.min(capacity, 2 * length);
        }
        steps = Arrays.copyOf(steps, length);
        ys = Arrays.copyOf(ys, length);
    }

    /** Heap the arrays take, headers included. */
    long heapBytes() {
        return 2 * (16 + 8L * steps.length);
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
