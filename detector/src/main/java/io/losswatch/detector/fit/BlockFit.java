package io.losswatch.detector.fit;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import java.nio.ByteBuffer;

/**
 * A long, cheap window: points are averaged in blocks of {@code blockSize}, and the last
 * {@code blocks} block means are fitted by a {@link RollingFit}. Averaging divides the noise by
 * about sqrt(blockSize), so slow growth under heavy noise shows, and the state stays small
 * (32 blocks of 8 cover 256 steps in 32 points). O(1) per point.
 */
public final class BlockFit {
    private final int blockSize;
    private final RollingFit blocks;
    private int count;
    private double sum;

    public BlockFit(int blockSize, int blocks) {
        if (blockSize < 1) {
            throw new IllegalArgumentException("block size must be at least 1, got " + blockSize);
        }
        this.blockSize = blockSize;
        this.blocks = new RollingFit(blocks);
    }

    /** Heap the block means' arrays take now. */
    public long arrayBytes() {
        return blocks.arrayBytes();
    }

    /** Adds a point; returns true when it completed a block (only then can the fit change). */
    public boolean add(long step, double y) {
        sum += y;
        if (++count < blockSize) {
            return false;
        }
        blocks.add(step, sum / count);
        count = 0;
        sum = 0;
        return true;
    }

    /** The block means: x is the step that closed each block. */
    public RollingFit blocks() {
        return blocks;
    }

    public int blockSize() {
        return blockSize;
    }

    public void clear() {
        blocks.clear();
        count = 0;
        sum = 0;
    }

    /** The partial block (its count, and its sum only when it has points), then the block means. */
    public void writeTo(StateWriter w) {
        w.varInt(count);
        if (count > 0) {
            w.f64(sum);
        }
        RollingFitCodec.write(blocks, w);
    }

    public void readFrom(StateReader r) {
        count = r.varInt();
        sum = count > 0 ? r.f64() : 0;
        RollingFitCodec.read(blocks, r);
        keepPartialBlockIfItFits();
    }

    /** Reads the form of run state formats 3 and 4. */
    public void readLegacy(ByteBuffer b) {
        count = b.getInt();
        sum = b.getDouble();
        RollingFitCodec.readLegacy(blocks, b);
        keepPartialBlockIfItFits();
    }

    private void keepPartialBlockIfItFits() {
        if (count >= blockSize) { // written with a larger block: start the partial block over
            count = 0;
            sum = 0;
        }
    }
}
