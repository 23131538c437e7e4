package io.losswatch.bench;

/**
 * The last {@code capacity} values of a series, as the rolling windows of today's spike detectors
 * keep them (a deque with a maximum length). Statistics are taken over the values held, in full at
 * each call: diverging losses reach 1e30 and more, where running sums of squares lose all precision.
 */
final class RollingWindow {
    private final double[] values;
    private int size;
    private int next;

    RollingWindow(int capacity) {
        values = new double[capacity];
    }

    void add(double v) {
        values[next] = v;
        next = (next + 1) % values.length;
        size = Math.min(size + 1, values.length);
    }

    int size() {
        return size;
    }

    boolean full() {
        return size == values.length;
    }

    double mean() {
        double s = 0;
        for (int i = 0; i < size; i++) {
            s += values[i];
        }
        return s / size;
    }

    /** Sample standard deviation (divided by n - 1), as torch.std and pandas' rolling std take it. */
    double sampleSd() {
        double m = mean();
        double s = 0;
        for (int i = 0; i < size; i++) {
            double d = values[i] - m;
            s += d * d;
        }
        return Math.sqrt(s / (size - 1));
    }

    double max() {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            m = Math.max(m, values[i]);
        }
        return m;
    }

    /** How many values held are above {@code x}. */
    int countAbove(double x) {
        int n = 0;
        for (int i = 0; i < size; i++) {
            n += values[i] > x ? 1 : 0;
        }
        return n;
    }
}
