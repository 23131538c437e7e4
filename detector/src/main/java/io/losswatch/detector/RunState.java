package io.losswatch.detector;

import io.losswatch.detector.fit.BlockFit;
import io.losswatch.detector.fit.RollingFit;
import io.losswatch.events.AlertType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Everything the monitor remembers about one run: the fit windows, the alert lifecycle per type and
 * the few facts the diagnosis needs. Kept in a Kafka Streams state store in a compact binary form
 * (written on every record), so it survives restarts and moves with the run's partition. Once its
 * windows are full, a run that sends only the loss costs about 2.0 KB, one that also sends gradient
 * norms and validation losses about 2.6 KB (12 bytes a point: steps are stored as offsets).
 */
public final class RunState {
    private static final byte FORMAT = 4;
    private static final AlertType[] TYPES = AlertType.values();

    /** Lifecycle of one alert type for this run. */
    public static final class Slot {
        boolean firing;
        long onsetStep;
        long firedAtStep;
        int healthySteps;
        /** What the firing said, so that its resolved carries the same labels (receivers match on them). */
        byte severity;

        byte cause;
        byte confidencePercent;

        public boolean firing() {
            return firing;
        }

        public long onsetStep() {
            return onsetStep;
        }
    }

    long lastStep = -1;
    long firstStep = -1;
    int attempt;
    long lastSeenMillis;
    long processedSteps;
    long firstNonFiniteStep = -1;

    // what the diagnosis and the planned-bump allowance need
    double lastLearningRate = Double.NaN;
    double maxLearningRate = Double.NaN;
    long learningRateRiseStep = -1; // last rise to a level the run never had
    long plannedSinceStep = -1; // a warm restart's bump is expected since this step, until the loss
    double plannedFromLn = Double.NaN; // is back to where it was then (ln)...
    double plannedCeilingLn = Double.NaN; // ...as long as ln(loss) stays below this
    double recentMaxUpdateRatio = Double.NaN;
    String optimizer = "";
    double chanceLn = Double.NaN; // ln of the chance-level loss, NaN when unknown
    boolean chanceFromLabel; // from num_classes, not guessed from the first loss

    // loss
    final RollingFit loss; // ln(loss): long window with the short and very short nested
    final BlockFit lossBlocks; // block means of ln(loss) for slow growth
    double maxBlockLn = Double.NaN; // highest block mean of the run
    boolean blocksGrow; // the block window grew when its last block closed
    int growthStreak;
    final JumpTracker lossJump = new JumpTracker();
    int pinnedStreak; // consecutive steps at chance level
    long pinnedSince = -1;

    // gradient norm
    final RollingFit grad; // ln(grad_norm)
    int gradPoints;
    int nonFiniteGradStreak; // non-finite gradient norms in a row
    double earlyGradLn = Double.NaN; // median of the first points; the minimum so far until then
    int gradGrowthStreak;
    double gradFastLn; // exponential averages of ln(grad_norm) over ~8 and ~128 steps:
    double gradSlowLn; // their gap says whether the gradients trend
    final JumpTracker gradJump = new JumpTracker();

    // validation loss
    final ValidationTracker validation;

    final Slot[] slots = new Slot[TYPES.length];

    public RunState(DetectorConfig config) {
        DetectorConfig.Growth g = config.growth();
        this.loss = new RollingFit(
                g.longScale().points(), g.shortScale().points(), g.veryShort().points());
        this.lossBlocks =
                new BlockFit(g.blockSize(), g.blocks() == null ? 4 : g.blocks().points());
        DetectorConfig.Growth gg = config.gradientGrowth();
        this.grad = new RollingFit(
                gg.longScale().points(),
                gg.shortScale().points(),
                gg.veryShort().points());
        this.validation = new ValidationTracker(config.validation());
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot();
        }
    }

    public long lastStep() {
        return lastStep;
    }

    public int attempt() {
        return attempt;
    }

    public long lastSeenMillis() {
        return lastSeenMillis;
    }

    public Slot slot(AlertType type) {
        return slots[type.ordinal()];
    }

    public boolean anyFiring() {
        for (Slot s : slots) {
            if (s.firing) {
                return true;
            }
        }
        return false;
    }

    /** Forgets the windows and alert lifecycle: the run started over (its step went back to 0). */
    /**
     * After a rollback: the windows start over, as for a new attempt (its alerts get ids of their own
     * even where the step numbers go back), but what is true of the run whatever its weights stays: its
     * chance level and optimizer.
     */
    void resume() {
        double chance = chanceLn;
        boolean fromLabel = chanceFromLabel;
        startNewAttempt();
        chanceLn = chance;
        chanceFromLabel = fromLabel;
    }

    void startNewAttempt() {
        int next = attempt + 1;
        loss.clear();
        lossBlocks.clear();
        grad.clear();
        validation.clear();
        lossJump.clear();
        gradJump.clear();
        for (Slot s : slots) {
            s.firing = false;
            s.healthySteps = 0;
        }
        lastStep = -1;
        firstStep = -1;
        growthStreak = 0;
        gradGrowthStreak = 0;
        firstNonFiniteStep = -1;
        maxLearningRate = Double.NaN;
        lastLearningRate = Double.NaN;
        learningRateRiseStep = -1;
        plannedSinceStep = -1;
        plannedFromLn = Double.NaN;
        plannedCeilingLn = Double.NaN;
        recentMaxUpdateRatio = Double.NaN;
        chanceLn = Double.NaN;
        chanceFromLabel = false;
        maxBlockLn = Double.NaN;
        blocksGrow = false;
        pinnedStreak = 0;
        pinnedSince = -1;
        gradPoints = 0;
        nonFiniteGradStreak = 0;
        earlyGradLn = Double.NaN;
        processedSteps = 0;
        attempt = next;
    }

    // ------------------------------------------------------------------ binary form

    public byte[] toBytes() {
        return toBytes(FORMAT);
    }

    /** The bytes in {@code format}: the current one, or 3, the one before (to test that it is still read). */
    byte[] toBytes(byte format) {
        boolean v4 = format >= 4;
        byte[] opt = optimizer.getBytes(StandardCharsets.UTF_8);
        int size = 1
                + 8 * 5
                + 4 * 2
                + 8 * 5
                + 8
                + 8
                + 2
                + opt.length
                + 8
                + 1
                + loss.serializedSize()
                + lossBlocks.serializedSize()
                + 8
                + 1
                + 4
                + JumpTracker.serializedSize()
                + 8
                + grad.serializedSize()
                + 4
                + (v4 ? 4 : 0)
                + 8
                + 4
                + 16
                + JumpTracker.serializedSize()
                + validation.serializedSize()
                + 1
                + TYPES.length * (1 + 8 + 8 + 4 + 3);
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(format);
        b.putLong(lastStep)
                .putLong(firstStep)
                .putLong(lastSeenMillis)
                .putLong(processedSteps)
                .putLong(firstNonFiniteStep);
        b.putInt(attempt).putInt(growthStreak);
        b.putDouble(lastLearningRate)
                .putDouble(maxLearningRate)
                .putDouble(plannedFromLn)
                .putDouble(plannedCeilingLn)
                .putDouble(recentMaxUpdateRatio);
        b.putLong(learningRateRiseStep).putLong(plannedSinceStep);
        b.putShort((short) opt.length).put(opt);
        b.putDouble(chanceLn).put((byte) (chanceFromLabel ? 1 : 0));
        loss.writeTo(b);
        lossBlocks.writeTo(b);
        b.putDouble(maxBlockLn).put((byte) (blocksGrow ? 1 : 0)).putInt(pinnedStreak);
        lossJump.writeTo(b);
        b.putLong(pinnedSince);
        grad.writeTo(b);
        b.putInt(gradPoints);
        if (v4) {
            b.putInt(nonFiniteGradStreak);
        }
        b.putDouble(earlyGradLn).putInt(gradGrowthStreak).putDouble(gradFastLn).putDouble(gradSlowLn);
        gradJump.writeTo(b);
        validation.writeTo(b);
        b.put((byte) TYPES.length);
        for (Slot s : slots) {
            b.put((byte) (s.firing ? 1 : 0))
                    .putLong(s.onsetStep)
                    .putLong(s.firedAtStep)
                    .putInt(s.healthySteps);
            b.put(s.severity).put(s.cause).put(s.confidencePercent);
        }
        if (b.hasRemaining()) {
            throw new IllegalStateException("run state size miscounted by " + b.remaining() + " bytes");
        }
        return b.array();
    }

    public static RunState fromBytes(byte[] bytes, DetectorConfig config) {
        RunState r = new RunState(config);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte format = b.get();
        // format 3 (before nonFiniteGradStreak) is still read, so that an upgrade keeps the runs' windows
        if (format != FORMAT && format != 3) {
            throw new IllegalStateException("unknown run state format " + format);
        }
        r.lastStep = b.getLong();
        r.firstStep = b.getLong();
        r.lastSeenMillis = b.getLong();
        r.processedSteps = b.getLong();
        r.firstNonFiniteStep = b.getLong();
        r.attempt = b.getInt();
        r.growthStreak = b.getInt();
        r.lastLearningRate = b.getDouble();
        r.maxLearningRate = b.getDouble();
        r.plannedFromLn = b.getDouble();
        r.plannedCeilingLn = b.getDouble();
        r.recentMaxUpdateRatio = b.getDouble();
        r.learningRateRiseStep = b.getLong();
        r.plannedSinceStep = b.getLong();
        byte[] opt = new byte[b.getShort()];
        b.get(opt);
        r.optimizer = new String(opt, StandardCharsets.UTF_8);
        r.chanceLn = b.getDouble();
        r.chanceFromLabel = b.get() == 1;
        r.loss.readFrom(b);
        r.lossBlocks.readFrom(b);
        r.maxBlockLn = b.getDouble();
        r.blocksGrow = b.get() == 1;
        r.pinnedStreak = b.getInt();
        r.lossJump.readFrom(b);
        r.pinnedSince = b.getLong();
        r.grad.readFrom(b);
        r.gradPoints = b.getInt();
        r.nonFiniteGradStreak = format >= 4 ? b.getInt() : 0;
        r.earlyGradLn = b.getDouble();
        r.gradGrowthStreak = b.getInt();
        r.gradFastLn = b.getDouble();
        r.gradSlowLn = b.getDouble();
        r.gradJump.readFrom(b);
        r.validation.readFrom(b);
        int types = b.get();
        for (int i = 0; i < types; i++) {
            boolean firing = b.get() == 1;
            long onset = b.getLong();
            long fired = b.getLong();
            int healthy = b.getInt();
            byte severity = b.get();
            byte cause = b.get();
            byte confidence = b.get();
            if (i < r.slots.length) { // types added later start empty; removed ones are dropped
                Slot s = r.slots[i];
                s.firing = firing;
                s.onsetStep = onset;
                s.firedAtStep = fired;
                s.healthySteps = healthy;
                s.severity = severity;
                s.cause = cause;
                s.confidencePercent = confidence;
            }
        }
        return r;
    }
}
