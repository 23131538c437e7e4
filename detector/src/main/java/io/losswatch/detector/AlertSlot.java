package io.losswatch.detector;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import java.nio.ByteBuffer;

/** Where one alert type of one run is in its lifecycle; {@link AlertLifecycle} moves it. */
public final class AlertSlot {
    /** The slot of a type that never fired in the run: read only, shared by every run. */
    static final AlertSlot NONE = new AlertSlot();
    /** Heap of one slot. */
    static final long HEAP_BYTES = 40;

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

    /** Never fired in this run: nothing to store. */
    boolean unused() {
        return !firing
                && onsetStep == 0
                && firedAtStep == 0
                && healthySteps == 0
                && severity == 0
                && cause == 0
                && confidencePercent == 0;
    }

    void clear() {
        firing = false;
        healthySteps = 0;
    }

    void writeTo(StateWriter w, long base) {
        w.u8(firing ? 1 : 0);
        w.signed(base - onsetStep).signed(base - firedAtStep).varInt(healthySteps);
        w.u8(severity).u8(cause).u8(confidencePercent);
    }

    void readFrom(StateReader r, long base) {
        firing = r.u8() == 1;
        onsetStep = base - r.signed();
        firedAtStep = base - r.signed();
        healthySteps = r.varInt();
        severity = (byte) r.u8();
        cause = (byte) r.u8();
        confidencePercent = (byte) r.u8();
    }

    /** Reads the form of run state formats 3 and 4; {@code into} null drops it (a type no longer known). */
    static void readLegacy(ByteBuffer b, AlertSlot into) {
        boolean firing = b.get() == 1;
        long onset = b.getLong();
        long fired = b.getLong();
        int healthy = b.getInt();
        byte severity = b.get();
        byte cause = b.get();
        byte confidence = b.get();
        if (into != null) {
            into.firing = firing;
            into.onsetStep = onset;
            into.firedAtStep = fired;
            into.healthySteps = healthy;
            into.severity = severity;
            into.cause = cause;
            into.confidencePercent = confidence;
        }
    }
}
