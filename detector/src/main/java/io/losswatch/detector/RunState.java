package io.losswatch.detector;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.events.AlertType;

/**
 * Everything the monitor remembers about one run: the facts every rule reads, each rule's own part,
 * and the alert lifecycle per type. Kept in a Kafka Streams state store in a compact binary form
 * (written on every record), so it survives restarts and moves with the run's partition. Each part
 * writes itself; steps go as differences from the run's last step, and what a run does not use
 * (an alert type never raised, a series never sent) takes a byte or nothing. Once its windows are
 * full, a run that sends only the loss costs about 1.0 KB, one that also sends gradient norms and
 * validation losses about 1.7 KB (the doubles of the windows, exact, are most of it). The formats of
 * earlier releases are still read ({@link LegacyRunStateFormat}).
 */
public final class RunState {
    static final byte FORMAT = 10;
    /**
     * Formats 5 to 9 read with the same code as 10: each adds optional values behind bits of the masks
     * the one before already had (6: the per-epoch facts, the level a learning rate rose to, the
     * training levels of the validation rule; 7: a second mask byte for the facts, behind the first's
     * last bit, with where the learning rate's climb began and the climb a rise came by; 8: the rates
     * sent at 0 or below, and since when, and the optimizer's momentum; 9: the size of the first losses,
     * and where the loss went below zero; 10: the optimizer's beta2), absent from the older one. The number changes so that a
     * release that knows only an older format drops a newer state instead of misreading it. A flag with
     * no bytes of its own (the validation rule's "fired by a jump") needs no new number: a release that
     * does not know it reads the rest as before.
     */
    static final byte FIRST_MASKED_FORMAT = 5;

    private static final AlertType[] TYPES = AlertType.values();
    /** Heap of a state's objects other than its windows' arrays (measured: {@code RunStateHeapTest}). */
    static final long FIXED_HEAP_BYTES = 1616;

    final RunFacts facts = new RunFacts();
    final LossSeries loss;
    final NonFiniteLossRule.State nonFiniteLoss = new NonFiniteLossRule.State();
    final GrowthRule.State growth = new GrowthRule.State();
    final BlowupRule.State blowup = new BlowupRule.State();
    final CollapseRule.State collapse = new CollapseRule.State();
    final GradientRule.State gradient;
    final ValidationTracker validation;
    /** Per alert type, where its lifecycle is; null until the type first fires: most runs never alert. */
    private AlertSlot[] slots;

    /** Gradient points that settle a run's early gradient level (kept across a rollback once settled). */
    private final int gradientEarlyPoints;

    public RunState(DetectorConfig config) {
        this.gradientEarlyPoints = config.gradient().earlyPoints();
        this.loss = new LossSeries(config.growth());
        this.gradient = new GradientRule.State(config.gradientGrowth());
        this.validation = new ValidationTracker(config.validation());
    }

    public long lastStep() {
        return facts.lastStep;
    }

    public int attempt() {
        return facts.attempt;
    }

    public long lastSeenMillis() {
        return facts.lastSeenMillis;
    }

    /** Where the type's alert is in its lifecycle: {@link AlertSlot#NONE} while it never fired. Read only. */
    public AlertSlot slot(AlertType type) {
        AlertSlot s = slots == null ? null : slots[type.ordinal()];
        return s != null ? s : AlertSlot.NONE;
    }

    /** The type's slot to write to: made when the type has none yet. */
    AlertSlot slotToWrite(AlertType type) {
        if (slots == null) {
            slots = new AlertSlot[TYPES.length];
        }
        AlertSlot s = slots[type.ordinal()];
        if (s == null) {
            s = new AlertSlot();
            slots[type.ordinal()] = s;
        }
        return s;
    }

    /** The slot to read a stored type into, made; null for a type this release no longer knows. */
    AlertSlot slotAt(int ordinal) {
        return ordinal < TYPES.length ? slotToWrite(TYPES[ordinal]) : null;
    }

    /**
     * Heap the state takes, about: the objects every state has ({@value #FIXED_HEAP_BYTES} bytes,
     * measured) and its windows' arrays, which grow with the points up to the windows' sizes: a new
     * run takes about 1.5 KB, one that sends only the loss 3.1 KB once its windows are full, one with
     * every series 4.2 KB; an alert type that fired adds its slot. O(1): what the monitor's live-state cache charges a run.
     */
    public long heapBytes() {
        return FIXED_HEAP_BYTES
                + slotsHeapBytes()
                + loss.arrayBytes()
                + gradient.grad.arrayBytes()
                + validation.values.arrayBytes();
    }

    /** The slots' array and objects, once there are any. */
    private long slotsHeapBytes() {
        if (slots == null) {
            return 0;
        }
        long bytes = 16 + 4L * slots.length;
        for (AlertSlot s : slots) {
            bytes += s == null ? 0 : AlertSlot.HEAP_BYTES;
        }
        return bytes;
    }

    public boolean anyFiring() {
        for (AlertType t : TYPES) {
            if (slot(t).firing) {
                return true;
            }
        }
        return false;
    }

    /**
     * After a rollback: the windows start over, as for a new attempt (its alerts get ids of their own
     * even where the step numbers go back), but what is true of the run whatever its weights stays: its
     * chance level, its optimizer, and the level its gradients had before anything went wrong.
     */
    void resume() {
        double chance = facts.chanceLn;
        boolean fromLabel = facts.chanceFromLabel;
        int gradPoints = gradient.gradPoints;
        double earlyGradLn = gradient.earlyGradLn;
        startNewAttempt();
        facts.chanceLn = chance;
        facts.chanceFromLabel = fromLabel;
        if (!Double.isNaN(earlyGradLn)) {
            // the gradients of the network before anything went wrong (a level the first points had, frozen at
            // a jump): a rollback that leaves it with dead units at chance level shows against them, not
            // against its own dead first steps; settled, so the resumed run's points do not lower it
            gradient.gradPoints = Math.max(gradPoints, gradientEarlyPoints);
            gradient.earlyGradLn = earlyGradLn;
        }
    }

    /** Forgets the windows and alert lifecycle: the run started over (its step went back to 0). */
    void startNewAttempt() {
        loss.clear();
        nonFiniteLoss.clear();
        growth.clear();
        blowup.clear();
        collapse.clear();
        gradient.clear();
        validation.clear();
        if (slots != null) {
            for (AlertSlot s : slots) {
                if (s != null) {
                    s.clear();
                }
            }
        }
        facts.startNewAttempt();
    }

    // ------------------------------------------------------------------ binary form

    public byte[] toBytes() {
        StateWriter w = new StateWriter(2048);
        writeTo(w);
        return w.toByteArray();
    }

    /** Appends the state's binary form, the bytes of {@link #toBytes()}, to {@code w}. */
    public void writeTo(StateWriter w) {
        w.u8(FORMAT);
        facts.writeTo(w);
        long base = facts.lastStep;
        int used = 0;
        for (int i = 0; i < TYPES.length; i++) {
            used |= slot(TYPES[i]).unused() ? 0 : 1 << i;
        }
        w.varInt(TYPES.length).varInt(used);
        for (int i = 0; i < TYPES.length; i++) {
            if ((used & 1 << i) != 0) {
                slot(TYPES[i]).writeTo(w, base);
            }
        }
        nonFiniteLoss.writeTo(w, base);
        loss.writeTo(w);
        growth.writeTo(w, base);
        blowup.writeTo(w, base);
        collapse.writeTo(w, base);
        gradient.writeTo(w, base);
        validation.writeTo(w, base);
    }

    public static RunState fromBytes(byte[] bytes, DetectorConfig config) {
        RunState r = new RunState(config);
        byte format = bytes[0];
        if (format == 3 || format == 4) {
            LegacyRunStateFormat.read(bytes, r);
            return r;
        }
        if (format < FIRST_MASKED_FORMAT || format > FORMAT) {
            throw new IllegalStateException("unknown run state format " + format);
        }
        StateReader in = new StateReader(bytes, 1);
        r.facts.readFrom(in);
        long base = r.facts.lastStep;
        int types = in.varInt();
        int used = in.varInt();
        for (int i = 0; i < types; i++) {
            if ((used & 1 << i) != 0) {
                AlertSlot s = r.slotAt(i);
                // types added later start empty; removed ones are read and dropped
                (s != null ? s : new AlertSlot()).readFrom(in, base);
            }
        }
        r.nonFiniteLoss.readFrom(in, base);
        r.loss.readFrom(in);
        r.growth.readFrom(in, base);
        r.blowup.readFrom(in, base);
        r.collapse.readFrom(in, base);
        r.gradient.readFrom(in, base);
        r.validation.readFrom(in, base);
        return r;
    }
}
