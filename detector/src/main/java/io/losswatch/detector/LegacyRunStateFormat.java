package io.losswatch.detector;

import io.losswatch.detector.fit.RollingFitCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads run states in the formats of earlier releases, 4 and 3 before it (3 had no count of
 * non-finite gradient norms in a row), so that a monitor upgraded on a state directory keeps every
 * run's windows and open alerts. Fixed widths, in one sequence across what are now the rules' own
 * parts of the state.
 */
final class LegacyRunStateFormat {
    private LegacyRunStateFormat() {}

    static void read(byte[] bytes, RunState r) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int format = b.get();
        RunFacts f = r.facts;
        f.readLegacyHead(b);
        r.nonFiniteLoss.firstNonFiniteStep = b.getLong();
        f.attempt = b.getInt();
        r.growth.growthStreak = b.getInt();
        f.readLegacyLearningRates(b);
        r.growth.plannedFromLn = b.getDouble();
        r.growth.plannedCeilingLn = b.getDouble();
        f.recentMaxUpdateRatio = b.getDouble();
        f.learningRateRiseStep = b.getLong();
        r.growth.plannedSinceStep = b.getLong();
        byte[] opt = new byte[b.getShort()];
        b.get(opt);
        f.optimizer = new String(opt, StandardCharsets.UTF_8);
        f.chanceLn = b.getDouble();
        f.chanceFromLabel = b.get() == 1;
        RollingFitCodec.readLegacy(r.loss.raw, b);
        r.loss.blocks.readLegacy(b);
        r.loss.maxBlockLn = b.getDouble();
        r.growth.blocksGrow = b.get() == 1;
        r.collapse.pinnedStreak = b.getInt();
        r.blowup.jump.readLegacy(b);
        r.collapse.pinnedSince = b.getLong();
        r.gradient.readLegacy(b, format);
        r.validation.readLegacy(b);
        int types = b.get();
        for (int i = 0; i < types; i++) {
            // types added later start empty; removed ones are dropped
            AlertSlot.readLegacy(b, r.slotAt(i));
        }
    }
}
