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
        long[] exact = new long[2 * s.windows()];
        int windows = even ? evenSums(first - s.origin, d, r.size, s, exact) : exactSums(r, s, exact);
        int derived = 0;
        for (int k = 0; k < windows; k++) {
            if (exact[2 * k] == Double.doubleToRawLongBits(s.sum(k, WindowSums.SX))) {
                derived |= 1 << (2 * k);
            }
            if (exact[2 * k + 1] == Double.doubleToRawLongBits(s.sum(k, WindowSums.SXX))) {
                derived |= 2 << (2 * k);
            }
        }
        w.varInt(derived);
        for (int k = 0; k < s.windows(); k++) {
            if ((derived >> (2 * k) & 1) == 0) {
                w.f64(s.sum(k, WindowSums.SX));
            }
            if ((derived >> (2 * k) & 2) == 0) {
                w.f64(s.sum(k, WindowSums.SXX));
            }
            w.f64(s.sum(k, WindowSums.SY)).f64(s.sum(k, WindowSums.SXY)).f64(s.sum(k, WindowSums.SYY));
        }
    }

    /**
     * The sums of x and x^2 of each window, exact, as the bits of doubles into {@code out} (x then
     * x^2 per window), in one pass from the newest point back. Returns how many windows, from the
     * whole one (0), got theirs before a value grew too large to be exact (those after do not count).
     */
    private static int exactSums(Ring r, WindowSums s, long[] out) {
        int windows = s.windows();
        long sx = 0, sxx = 0;
        int done = 0; // windows recorded, as a bit set
        for (int c = 1; c <= r.size; c++) {
            long x = r.stepAt(r.size - c) - s.origin;
            if (Math.abs(x) >= 1L << 26) {
                break;
            }
            sx += x;
            sxx += x * x;
            if (Math.abs(sx) >= EXACT || sxx >= EXACT) {
                break;
            }
            for (int k = 0; k < windows; k++) {
                if (s.count(k, r.size) == c) {
                    out[2 * k] = Double.doubleToRawLongBits((double) sx);
                    out[2 * k + 1] = Double.doubleToRawLongBits((double) sxx);
                    done |= 1 << k;
                }
            }
        }
        for (int k = 0; k < windows; k++) {
            if ((done & 1 << k) == 0) {
                out[2 * k] = NOT_EXACT;
                out[2 * k + 1] = NOT_EXACT;
            }
        }
        return windows;
    }

    /** Largest |x| and window for which {@link #evenSums} is exact in a long and in a double. */
    private static final long EVEN_MAX_X = 1L << 20, EVEN_MAX_POINTS = 1L << 10;

    /**
     * {@link #exactSums} for evenly spaced points, x = {@code x0} + i {@code d} for i = 0 .. size - 1,
     * in closed form: O(1) a window.
     */
    private static int evenSums(long x0, long d, int size, WindowSums s, long[] out) {
        int windows = s.windows();
        long last = x0 + (size - 1) * d;
        boolean small = Math.abs(x0) < EVEN_MAX_X && Math.abs(last) < EVEN_MAX_X && size < EVEN_MAX_POINTS;
        for (int k = 0; k < windows; k++) {
            if (!small) {
                out[2 * k] = NOT_EXACT;
                out[2 * k + 1] = NOT_EXACT;
                continue;
            }
            long m = s.count(k, size);
            long a = x0 + (size - m) * d; // the window's first x
            long tri = m * (m - 1) / 2;
            long sx = m * a + d * tri;
            long sxx = m * a * a + 2 * a * d * tri + d * d * ((m - 1) * m * (2 * m - 1) / 6);
            out[2 * k] = Double.doubleToRawLongBits((double) sx);
            out[2 * k + 1] = Double.doubleToRawLongBits((double) sxx);
        }
        return windows;
    }

    /** No double has these bits as a sum of whole numbers: a NaN with a payload. */
    private static final long NOT_EXACT = 0x7FF0_DEAD_0000_0001L;

    public static void read(RollingFit f, StateReader in) {
        f.clear();
        int n = in.varInt();
        if (n == 0) {
            return;
        }
        Ring r = f.ring;
        WindowSums s = f.sums;
        int writtenCapacity = in.varInt();
        int[] writtenInner = new int[in.varInt()];
        boolean same = writtenCapacity == r.capacity && writtenInner.length == s.inner.length && n <= r.capacity;
        for (int i = 0; i < writtenInner.length; i++) {
            writtenInner[i] = in.varInt();
            same &= i < s.inner.length && writtenInner[i] == s.inner[i];
        }
        long first = in.signed();
        long origin = first - in.signed();
        int since = in.varInt();
        // the common case, the same windows as written: straight into the ring and the sums
        if (same) {
            r.ensure(n);
        }
        long[] steps = same ? r.steps : new long[n];
        double[] ys = same ? r.ys : new double[n];
        double[] read = same ? s.sums : new double[(1 + writtenInner.length) * WindowSums.TERMS];
        steps[0] = first;
        boolean even = in.u8() == 1;
        long d = 0;
        if (even) {
            d = in.signed();
            for (int i = 1; i < n; i++) {
                steps[i] = steps[i - 1] + d;
            }
        } else {
            for (int i = 1; i < n; i++) {
                steps[i] = steps[i - 1] + in.signed();
            }
        }
        for (int i = 0; i < n; i++) {
            ys[i] = in.f64();
        }
        int derived = in.varInt();
        for (int k = 0; k < read.length / WindowSums.TERMS; k++) {
            int at = k * WindowSums.TERMS;
            int bits = derived >> (2 * k);
            read[at + WindowSums.SX] = (bits & 1) == 0 ? in.f64() : Double.NaN;
            read[at + WindowSums.SXX] = (bits & 2) == 0 ? in.f64() : Double.NaN;
            read[at + WindowSums.SY] = in.f64();
            read[at + WindowSums.SXY] = in.f64();
            read[at + WindowSums.SYY] = in.f64();
        }
        if (!same) {
            restore(f, n, steps, ys, origin, since, writtenCapacity, writtenInner, read);
            return;
        }
        r.size = n;
        r.head = 0;
        r.ordered = isOrdered(r);
        s.origin = origin;
        s.sinceRebase = since;
        if (derived != 0) {
            long[] exact = new long[2 * s.windows()];
            if (even) {
                evenSums(first - origin, d, n, s, exact);
            } else {
                exactSums(r, s, exact);
            }
            for (int k = 0; k < s.windows(); k++) {
                int bits = derived >> (2 * k);
                if ((bits & 1) != 0) {
                    read[k * WindowSums.TERMS + WindowSums.SX] = Double.longBitsToDouble(exact[2 * k]);
                }
                if ((bits & 2) != 0) {
                    read[k * WindowSums.TERMS + WindowSums.SXX] = Double.longBitsToDouble(exact[2 * k + 1]);
                }
            }
        }
    }

    private static boolean isOrdered(Ring r) {
        for (int i = 1; i < r.size; i++) {
            if (r.steps[i] <= r.steps[i - 1]) {
                return false;
            }
        }
        return true;
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
        double[] read = new double[(1 + writtenInner.length) * WindowSums.TERMS];
        for (int k = 0; k < read.length; k++) {
            read[k] = b.getDouble();
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
            double[] read) {
        Ring r = f.ring;
        WindowSums s = f.sums;
        r.ensure(Math.min(n, r.capacity));
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
            long[] exact = null;
            for (int w = 0; w < s.windows(); w++) {
                int sx = w * WindowSums.TERMS + WindowSums.SX;
                int sxx = w * WindowSums.TERMS + WindowSums.SXX;
                if (Double.isNaN(read[sx]) || Double.isNaN(read[sxx])) {
                    if (exact == null) {
                        exact = new long[2 * s.windows()];
                        exactSums(r, s, exact);
                    }
                    if (Double.isNaN(read[sx])) {
                        read[sx] = Double.longBitsToDouble(exact[2 * w]);
                    }
                    if (Double.isNaN(read[sxx])) {
                        read[sxx] = Double.longBitsToDouble(exact[2 * w + 1]);
                    }
                }
            }
            System.arraycopy(read, 0, s.sums, 0, s.sums.length);
        } else {
            s.rebase(r); // written with other windows: the sums no longer apply
        }
    }
}
