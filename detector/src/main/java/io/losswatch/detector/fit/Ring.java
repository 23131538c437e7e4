package io.losswatch.detector.fit;

/**
 * The newest {@code capacity} points of a series, (step, value), oldest first by index: a ring
 * buffer that overwrites its oldest point once full.
 */
final class Ring {
    final int capacity;
    final long[] steps;
    final double[] ys;
    int size;
    int head; // index of the oldest point
    /** Steps were added in increasing order (they are, for a run): the extremes are then the ends. */
    boolean ordered = true;

    Ring(int capacity) {
        this.capacity = capacity;
        this.steps = new long[capacity];
        this.ys = new double[capacity];
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
