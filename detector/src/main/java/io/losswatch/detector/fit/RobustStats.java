package io.losswatch.detector.fit;

import java.util.Arrays;

/**
 * Robust statistics of a ring's values: medians, the median absolute deviation, and noise scales
 * from differences that a trend does not move. Each sorts a copy: O(n log n), for the moments that
 * need it.
 */
final class RobustStats {
    /** The median absolute deviation of normal noise times this is its standard deviation. */
    static final double MAD_TO_SD = 1.4826;

    private RobustStats() {}

    /** The median of {@code v} (the lower one of an even count), sorting it; NaN when empty. */
    static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        Arrays.sort(v);
        return v[(v.length - 1) / 2];
    }

    /** 1.4826 x the median absolute deviation (about the upper median), sorting {@code v}; 0 below 3 values. */
    static double mad(double[] v) {
        if (v.length < 3) {
            return 0;
        }
        Arrays.sort(v);
        double med = v[v.length / 2];
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.abs(v[i] - med);
        }
        Arrays.sort(v);
        return MAD_TO_SD * v[v.length / 2];
    }

    /** {@link #mad} of differences that each carry the noise of {@code points} points' worth. */
    private static double scaledMad(double[] d, double spread) {
        Arrays.sort(d);
        double med = d[d.length / 2];
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.abs(d[i] - med);
        }
        Arrays.sort(d);
        return MAD_TO_SD * d[d.length / 2] / spread;
    }

    /** Noise from the differences {@code y[i + lag] - y[i]} over the whole ring; see {@link RollingFit#diffNoise}. */
    static double diffNoise(Ring r, int lag) {
        if (r.size < lag + 3) {
            return 0;
        }
        double[] d = new double[r.size - lag];
        for (int i = 0; i < d.length; i++) {
            d[i] = r.ys[r.at(i + lag)] - r.ys[r.at(i)];
        }
        return scaledMad(d, Math.sqrt(2));
    }

    /** Noise from lag-1 differences of the newest {@code n} points. */
    static double diffNoiseNewest(Ring r, int n) {
        int k = Math.min(n, r.size);
        if (k < 3) {
            return 0;
        }
        double[] d = new double[k - 1];
        for (int i = 0; i < d.length; i++) {
            int a = r.size - k + i;
            d[i] = r.ys[r.at(a + 1)] - r.ys[r.at(a)];
        }
        return scaledMad(d, Math.sqrt(2));
    }

    /** Noise from second differences of the newest {@code n} points (at least 5, else 0). */
    static double curveNoiseNewest(Ring r, int n) {
        int k = Math.min(n, r.size);
        if (k < 5) {
            return 0;
        }
        double[] d = new double[k - 2];
        for (int i = 0; i < d.length; i++) {
            int a = r.size - k + i;
            d[i] = r.ys[r.at(a + 2)] - 2 * r.ys[r.at(a + 1)] + r.ys[r.at(a)];
        }
        return scaledMad(d, Math.sqrt(6));
    }
}
