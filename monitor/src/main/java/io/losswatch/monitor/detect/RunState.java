package io.losswatch.monitor.detect;

import io.losswatch.events.AlertType;
import io.losswatch.monitor.fit.RollingFit;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Everything the monitor remembers about one run: the fit windows, the alert lifecycle per type and
 * the few facts the diagnosis needs. Kept in a Kafka Streams state store in a compact binary form, so
 * it survives restarts and moves with the run's partition.
 */
public final class RunState {
    private static final byte FORMAT = 1;
    private static final AlertType[] TYPES = AlertType.values();

    /** Lifecycle of one alert type for this run. */
    public static final class Slot {
        boolean firing;
        long onsetStep;
        long firedAtStep;
        int healthySteps;

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
    int growthStreak;
    long firstNonFiniteStep = -1;
    double lastLearningRate = Double.NaN;
    double minLearningRate = Double.NaN;
    long learningRateRiseStep = -1;
    double recentMaxUpdateRatio = Double.NaN;
    String optimizer = "";
    final RollingFit shortLoss;
    final RollingFit longLoss;
    final RollingFit longGrad;
    final Slot[] slots = new Slot[TYPES.length];

    public RunState(DetectorConfig config) {
        this.shortLoss = new RollingFit(config.shortWindow());
        this.longLoss = new RollingFit(config.longWindow());
        this.longGrad = new RollingFit(config.longWindow());
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
    void startNewAttempt() {
        int next = attempt + 1;
        shortLoss.clear();
        longLoss.clear();
        longGrad.clear();
        for (Slot s : slots) {
            s.firing = false;
            s.healthySteps = 0;
        }
        lastStep = -1;
        firstStep = -1;
        growthStreak = 0;
        firstNonFiniteStep = -1;
        minLearningRate = Double.NaN;
        learningRateRiseStep = -1;
        recentMaxUpdateRatio = Double.NaN;
        processedSteps = 0;
        attempt = next;
    }

    // ------------------------------------------------------------------ binary form

    public byte[] toBytes() {
        byte[] opt = optimizer.getBytes(StandardCharsets.UTF_8);
        int size = 1 + 8 * 4 + 4 + 4 + 8 + 8 * 3 + 8 + 2 + opt.length
                + shortLoss.serializedSize() + longLoss.serializedSize() + longGrad.serializedSize()
                + 1 + TYPES.length * (1 + 8 + 8 + 4);
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(FORMAT);
        b.putLong(lastStep).putLong(firstStep).putLong(lastSeenMillis).putLong(processedSteps);
        b.putInt(attempt).putInt(growthStreak);
        b.putLong(firstNonFiniteStep);
        b.putDouble(lastLearningRate).putDouble(minLearningRate).putDouble(recentMaxUpdateRatio);
        b.putLong(learningRateRiseStep);
        b.putShort((short) opt.length).put(opt);
        shortLoss.writeTo(b);
        longLoss.writeTo(b);
        longGrad.writeTo(b);
        b.put((byte) TYPES.length);
        for (Slot s : slots) {
            b.put((byte) (s.firing ? 1 : 0)).putLong(s.onsetStep).putLong(s.firedAtStep).putInt(s.healthySteps);
        }
        return b.array();
    }

    public static RunState fromBytes(byte[] bytes, DetectorConfig config) {
        RunState r = new RunState(config);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte format = b.get();
        if (format != FORMAT) {
            throw new IllegalStateException("unknown run state format " + format);
        }
        r.lastStep = b.getLong();
        r.firstStep = b.getLong();
        r.lastSeenMillis = b.getLong();
        r.processedSteps = b.getLong();
        r.attempt = b.getInt();
        r.growthStreak = b.getInt();
        r.firstNonFiniteStep = b.getLong();
        r.lastLearningRate = b.getDouble();
        r.minLearningRate = b.getDouble();
        r.recentMaxUpdateRatio = b.getDouble();
        r.learningRateRiseStep = b.getLong();
        byte[] opt = new byte[b.getShort()];
        b.get(opt);
        r.optimizer = new String(opt, StandardCharsets.UTF_8);
        r.shortLoss.readFrom(b);
        r.longLoss.readFrom(b);
        r.longGrad.readFrom(b);
        int types = b.get();
        for (int i = 0; i < types; i++) {
            boolean firing = b.get() == 1;
            long onset = b.getLong();
            long fired = b.getLong();
            int healthy = b.getInt();
            if (i < r.slots.length) { // types added later start empty; removed ones are dropped
                Slot s = r.slots[i];
                s.firing = firing;
                s.onsetStep = onset;
                s.firedAtStep = fired;
                s.healthySteps = healthy;
            }
        }
        return r;
    }
}
