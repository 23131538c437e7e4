package io.losswatch.detector.fit;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The binary form of a {@link RollingFit}. The running sums go too, bit for bit, so that a restored
 * run makes exactly the decisions it would have made without the restart; but the sums of x and x^2
 * are sums of whole numbers (x is a step minus the origin), exact in a double, so when they equal
 * what the points give they are recomputed instead of written (a flag says which). Steps are written
 * as differences (one number for the lot when they are evenly spaced), values as their 64 bits. An
 * empty window is one byte.
 */
public final class RollingFitCodec {
    /** Whole numbers up to this are exact in a double. */
    private static final long EXACT = 1L << 53;

    private RollingFitCodec() {}

    public static void write(RollingFit f, StateWriter w) {
        Ring r = f.ring;
        WindowSums s = f.sums;
        w.varInt(r.size);
        if (r.size == 0) {
            return; // cleared: the sums are all zero
        }
        w.varInt(r.capacity).varInt(s.inner.length);
        for (int c : s.inner) {
            w.varInt(c);
        }
        long first = r.stepAt(0);
        w.signed(first).signed(first - s.origin).varInt(s.sinceRebase);
        // steps: evenly spaced (one difference) or each difference
        long d = r.size > 1 ? r.stepAt(1) - first : 0;
        boolean even = true;
        for (int i = 2; i < r.size && even; i++) {
            even = r.stepAt(i) - r.stepAt(i - 1) == d;
        }
        w.u8(even ? 1 : 0);
        if (even) {
            w.signed(d);
        } else {
            for (int i = 1; i < r.size; i++) {
                w.signed(r.stepAt(i) - r.stepAt(i - 1));
            }
        }
        for (int i = 0; i < r.size; i++) {
            w.f64(r.valueAt(i));
        }
        int derived = 0;
        for (int k = 0; k < s.sums.length; k++) {
            derived |= derivable(r, s, k) << (2 * k);
        }
        w.varInt(derived);
        for (int k = 0; k < s.sums.length; k++) {
            double[] sum = s.sums[k];
            if ((derived >> (2 * k) & 1) == 0) {
                w.f64(sum[WindowSums.SX]);
            }
            if ((derived >> (2 * k) & 2) == 0) {
                w.f64(sum[WindowSums.SXX]);
            }
            w.f64(sum[WindowSums.SY]).f64(sum[WindowSums.SXY]).f64(sum[WindowSums.SYY]);
        }
    }

    /** Bit 1: window {@code k}'s sum of x is what its points give; bit 2: its sum of x^2. */
    private static int derivable(Ring r, WindowSums s, int k) {
        long[] exact = exactSums(r, s, k);
        if (exact == null) {
            return 0;
        }
        int bits = 0;
        if (exact[0] == Double.doubleToRawLongBits(s.sums[k][WindowSums.SX])) {
            bits |= 1;
        }
        if (exact[1] == Double.doubleToRawLongBits(s.sums[k][WindowSums.SXX])) {
            bits |= 2;
        }
        return bits;
    }

    /** The sums of x and x^2 over window {@code k}, exact, as doubles' bits; null when too large to be exact. */
    private static long[] exactSums(Ring r, WindowSums s, int k) {
        int n = s.count(k, r.size);
        long sx = 0, sxx = 0;
        for (int i = r.size - n; i < r.size; i++) {
            long x = r.stepAt(i) - s.origin;
            if (Math.abs(x) >= 1L << 26) {
                return null;
            }
            sx += x;
            sxx += x * x;
            if (Math.abs(sx) >= EXACT || sxx >= EXACT) {
                return null;
            }
        }
        return new long[] {Double.doubleToRawLongBits((double) sx), Double.doubleToRawLongBits((double) sxx)};
    }

    public static void read(RollingFit f, StateReader in) {
        f.clear();
        int n = in.varInt();
        if (n == 0) {
            return;
        }
        int writtenCapacity = in.varInt();
        int[] writtenInner = new int[in.varInt()];
        for (int i = 0; i < writtenInner.length; i++) {
            writtenInner[i] = in.varInt();
        }
        long first = in.signed();
        long origin = first - in.signed();
        int since = in.varInt();
        long[] steps = new long[n];
        steps[0] = first;
        if (in.u8() == 1) {
            long d = in.signed();
            for (int i = 1; i < n; i++) {
                steps[i] = steps[i - 1] + d;
            }
        } else {
            for (int i = 1; i < n; i++) {
                steps[i] = steps[i - 1] + in.signed();
            }
        }
        double[] ys = new double[n];
        for (int i = 0; i < n; i++) {
            ys[i] = in.f64();
        }
        int derived = in.varInt();
        double[][] read = new double[1 + writtenInner.length][WindowSums.TERMS];
        for (double[] sum : read) {
            sum[WindowSums.SX] = (derived & 1) == 0 ? in.f64() : Double.NaN;
            sum[WindowSums.SXX] = (derived & 2) == 0 ? in.f64() : Double.NaN;
            sum[WindowSums.SY] = in.f64();
            sum[WindowSums.SXY] = in.f64();
            sum[WindowSums.SYY] = in.f64();
            derived >>= 2;
        }
        restore(f, n, steps, ys, origin, since, writtenCapacity, writtenInner, read);
    }

    /** Reads the form of run state formats 3 and 4: fixed widths, steps as 32-bit offsets from the origin. */
    public static void readLegacy(RollingFit f, ByteBuffer b) {
        f.clear();
        int n = b.getInt();
        long o = b.getLong();
        int since = b.getInt();
        int writtenCapacity = b.getInt();
        int[] writtenInner = new int[b.get()];
        for (int i = 0; i < writtenInner.length; i++) {
            writtenInner[i] = b.getInt();
        }
        double[][] read = new double[1 + writtenInner.length][WindowSums.TERMS];
        for (double[] s : read) {
            for (int k = 0; k < WindowSums.TERMS; k++) {
                s[k] = b.getDouble();
            }
        }
        boolean wide = b.get() == 1;
        long[] steps = new long[n];
        double[] ys = new double[n];
        for (int i = 0; i < n; i++) {
            steps[i] = wide ? b.getLong() : o + b.getInt();
            ys[i] = b.getDouble();
        }
        restore(f, n, steps, ys, o, since, writtenCapacity, writtenInner, read);
    }

    private static void restore(
            RollingFit f,
            int n,
            long[] steps,
            double[] ys,
            long origin,
            int since,
            int writtenCapacity,
            int[] writtenInner,
            double[][] read) {
        Ring r = f.ring;
        WindowSums s = f.sums;
        for (int i = Math.max(0, n - r.capacity); i < n; i++) {
            r.steps[r.size] = steps[i];
            r.ys[r.size] = ys[i];
            r.size++;
        }
        r.head = 0;
        r.ordered = true;
        for (int i = 1; i < r.size; i++) {
            if (r.steps[i] <= r.steps[i - 1]) {
                r.ordered = false;
            }
        }
        s.origin = origin;
        if (n <= r.capacity && writtenCapacity == r.capacity && Arrays.equals(writtenInner, s.inner)) {
            s.sinceRebase = since;
            for (int w = 0; w < read.length; w++) {
                double[] sum = read[w];
                if (Double.isNaN(sum[WindowSums.SX]) || Double.isNaN(sum[WindowSums.SXX])) {
                    long[] exact = exactSums(r, s, w);
                    if (Double.isNaN(sum[WindowSums.SX])) {
                        sum[WindowSums.SX] = Double.longBitsToDouble(exact[0]);
                    }
                    if (Double.isNaN(sum[WindowSums.SXX])) {
                        sum[WindowSums.SXX] = Double.longBitsToDouble(exact[1]);
                    }
                }
                System.arraycopy(sum, 0, s.sums[w], 0, WindowSums.TERMS);
            }
        } else {
            s.rebase(r); // written with other windows: the sums no longer apply
        }
    }
}
