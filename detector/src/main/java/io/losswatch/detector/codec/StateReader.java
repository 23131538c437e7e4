package io.losswatch.detector.codec;

import java.nio.charset.StandardCharsets;

/** Reads what a {@link StateWriter} wrote, in the same order. */
public final class StateReader {
    private final byte[] buf;
    private int pos;

    public StateReader(byte[] buf, int offset) {
        this.buf = buf;
        this.pos = offset;
    }

    public int u8() {
        return buf[pos++] & 0xFF;
    }

    public long varLong() {
        long v = 0;
        int shift = 0;
        while (true) {
            byte b = buf[pos++];
            v |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return v;
            }
            shift += 7;
            if (shift > 63) {
                throw new IllegalStateException("malformed run state: variable-length integer too long");
            }
        }
    }

    public int varInt() {
        return (int) varLong();
    }

    public long signed() {
        long v = varLong();
        return (v >>> 1) ^ -(v & 1);
    }

    public long step(long base) {
        long v = varLong();
        if (v == 0) {
            return -1;
        }
        long d = v - 1;
        return base - ((d >>> 1) ^ -(d & 1));
    }

    public double f64() {
        long b = (long) StateWriter.LONGS.get(buf, pos);
        pos += 8;
        return Double.longBitsToDouble(b);
    }

    /** The double when {@code bit} is set in {@code mask}, else {@code absent}. */
    public double f64(int mask, int bit, double absent) {
        return (mask & bit) != 0 ? f64() : absent;
    }

    public String string() {
        int n = varInt();
        String s = new String(buf, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    public boolean hasRemaining() {
        return pos < buf.length;
    }
}
