package io.losswatch.detector.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes a run state compactly and losslessly: counts and steps as variable-length integers (7 bits
 * a byte), steps as differences from a step the reader already knows, doubles as their exact 64
 * bits, and values that sit at their default not at all (a bit in a mask says which are there).
 */
public final class StateWriter {
    static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long CANONICAL_NAN = Double.doubleToRawLongBits(Double.NaN);

    private byte[] buf;
    private int pos;

    public StateWriter(int initialCapacity) {
        buf = new byte[initialCapacity];
    }

    private void ensure(int more) {
        if (pos + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
        }
    }

    public StateWriter u8(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
        return this;
    }

    /** A non-negative integer in 1 byte per 7 bits. */
    public StateWriter varLong(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
        return this;
    }

    public StateWriter varInt(int v) {
        return varLong(v & 0xFFFF_FFFFL);
    }

    /** Any integer, small magnitudes in few bytes (zig-zag). */
    public StateWriter signed(long v) {
        return varLong((v << 1) ^ (v >> 63));
    }

    /**
     * A step, or -1 for none, as its distance below {@code base} (a step the reader knows first):
     * recent steps take one or two bytes.
     */
    public StateWriter step(long step, long base) {
        return step == -1 ? varLong(0) : varLong(1 + ((base - step) << 1 ^ (base - step) >> 63));
    }

    /** The exact 64 bits. */
    public StateWriter f64(double v) {
        ensure(8);
        LONGS.set(buf, pos, Double.doubleToRawLongBits(v));
        pos += 8;
        return this;
    }

    public StateWriter string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        varInt(b.length);
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
        return this;
    }

    /** {@code bit} when {@code v} is not the canonical NaN, else 0: for the presence mask of a double. */
    public static int unlessNaN(double v, int bit) {
        return Double.doubleToRawLongBits(v) == CANONICAL_NAN ? 0 : bit;
    }

    /** {@code bit} when {@code v} is not +0.0, else 0. */
    public static int unlessZero(double v, int bit) {
        return Double.doubleToRawLongBits(v) == 0 ? 0 : bit;
    }

    /** Forgets what was written, keeping the buffer: one writer serves a thread's writes in turn. */
    public StateWriter reset() {
        pos = 0;
        return this;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, pos);
    }
}
