package io.losswatch.detector.fit;

import java.util.Arrays;

/**
 * Robust statistics of a ring's values: medians, the median absolute deviation, and noise scales
 * from differences that a trend does not move. Each works on a copy of the values and finds its order
 * statistics by selection, O(n), not by sorting: the detector takes several on every step.
 */
final class RobustStats {
    /** The median absolute deviation of normal noise times this is its standard deviation. */
    static final double MAD_TO_SD = 1.4826;

    private RobustStats() {}

    /** Below this many values a range is put in order by insertion. */
    private static final int INSERTION_SORT_BELOW = 12;

    /** The median of {@code v} (the lower one of an even count), reordering it; NaN when empty. */
    static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        return select(v, (v.length - 1) / 2);
    }

    /** 1.4826 x the median absolute deviation (about the upper median), reordering {@code v}; 0 below 3 values. */
    static double mad(double[] v) {
        if (v.length < 3) {
            return 0;
        }
        return scaledMad(v, 1);
    }

    /** {@link #mad} of differences that each carry the noise of {@code points} points' worth. */
    private static double scaledMad(double[] d, double spread) {
        double med = select(d, d.length / 2);
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.abs(d[i] - med);
        }
        return MAD_TO_SD * select(d, d.length / 2) / spread;
    }

    /**
     * The value {@code Arrays.sort(v)} would put at index {@code k}, found by quickselect in O(n) on
     * average, reordering {@code v}. The same value, bit for bit: -0.0 comes before 0.0, and an array
     * with a NaN is sorted.
     */
    static double select(double[] v, int k) {
        for (double x : v) {
            if (x != x) {
                Arrays.sort(v);
                return v[k];
            }
        }
        int lo = 0;
        int hi = v.length - 1;
        while (hi - lo >= INSERTION_SORT_BELOW) {
            int mid = (lo + hi) >>> 1;
            double pivot = medianOfThree(v[lo], v[mid], v[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) { // Hoare: [lo, j] <= pivot <= [i, hi], and (j, i) all equal to it
                while (v[i] < pivot) {
                    i++;
                }
                while (v[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    double t = v[i];
                    v[i++] = v[j];
                    v[j--] = t;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return signedZero(v, k, v[k]);
            }
        }
        for (int i = lo + 1; i <= hi; i++) {
            double x = v[i];
            int j = i - 1;
            while (j >= lo && v[j] > x) {
                v[j + 1] = v[j];
                j--;
            }
            v[j + 1] = x;
        }
        return signedZero(v, k, v[k]);
    }

    private static double medianOfThree(double a, double b, double c) {
        return a < b ? (b < c ? b : Math.max(a, c)) : (a < c ? a : Math.max(b, c));
    }

    /** A zero found at {@code k} as sorting would sign it: the -0.0s of {@code v} come first among its zeros. */
    private static double signedZero(double[] v, int k, double x) {
        if (x != 0) {
            return x;
        }
        int below = 0;
        for (double y : v) {
            if (y < 0 || (y == 0 && Double.doubleToRawLongBits(y) != 0)) {
                below++;
            }
        }
        return k < below ? -0.0 : 0.0;
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
