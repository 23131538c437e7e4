package io.losswatch.detector.fit;

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

    public int serializedSize() {
        return 4 + 8 + blocks.serializedSize();
    }

    public void writeTo(ByteBuffer b) {
        b.putInt(count).putDouble(sum);
        blocks.writeTo(b);
    }

    public void readFrom(ByteBuffer b) {
        count = b.getInt();
        sum = b.getDouble();
        blocks.readFrom(b);
        if (count >= blockSize) { // written with a larger block: start the partial block over
            count = 0;
            sum = 0;
        }
    }
}
