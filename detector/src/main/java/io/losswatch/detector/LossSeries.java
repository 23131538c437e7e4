package io.losswatch.detector;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.detector.fit.BlockFit;
import io.losswatch.detector.fit.RollingFit;
import io.losswatch.detector.fit.RollingFitCodec;

/**
 * The run's ln(loss) as the rules read it: the raw window (the long growth window, with the short
 * and very short ones nested) and the block means for slow growth. The detector adds each point
 * once, after the blow-up rule has judged it against the points before.
 */
final class LossSeries {
    final RollingFit raw; // ln(loss)
    final BlockFit blocks; // block means of ln(loss)
    double maxBlockLn = Double.NaN; // highest block mean of the run

    LossSeries(DetectorConfig.Growth g) {
        this.raw = new RollingFit(
                g.longScale().points(), g.shortScale().points(), g.veryShort().points());
        this.blocks =
                new BlockFit(g.blockSize(), g.blocks() == null ? 4 : g.blocks().points());
    }

    long arrayBytes() {
        return raw.arrayBytes() + blocks.arrayBytes();
    }

    /** Adds a point; true when it closed a block. */
    boolean add(long step, double y) {
        raw.add(step, y);
        if (!blocks.add(step, y)) {
            return false;
        }
        double m = blocks.blocks().newestValue();
        maxBlockLn = Double.isNaN(maxBlockLn) ? m : Math.max(maxBlockLn, m);
        return true;
    }

    /** The lowest the loss has been lately (ln): its lowest block mean, else its lowest point kept; NaN if none. */
    double recentLowLn() {
        RollingFit b = blocks.blocks();
        return b.size() > 0 ? b.min() : raw.size() > 0 ? raw.min() : Double.NaN;
    }

    /** The step of {@link #recentLowLn()}: where its block closed, or its point; -1 if none. */
    long recentLowStep() {
        RollingFit w = blocks.blocks().size() > 0 ? blocks.blocks() : raw;
        int low = -1;
        for (int i = 0; i < w.size(); i++) {
            if (low < 0 || w.valueAt(i) < w.valueAt(low)) {
                low = i;
            }
        }
        return low < 0 ? -1 : w.stepAt(low);
    }

    void clear() {
        raw.clear();
        blocks.clear();
        maxBlockLn = Double.NaN;
    }

    void writeTo(StateWriter w) {
        RollingFitCodec.write(raw, w);
        blocks.writeTo(w);
        int mask = StateWriter.unlessNaN(maxBlockLn, 1);
        w.u8(mask);
        if (mask != 0) {
            w.f64(maxBlockLn);
        }
    }

    void readFrom(StateReader r) {
        RollingFitCodec.read(raw, r);
        blocks.readFrom(r);
        maxBlockLn = r.f64(r.u8(), 1, Double.NaN);
    }
}
