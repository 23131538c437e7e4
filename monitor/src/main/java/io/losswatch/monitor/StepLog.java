package io.losswatch.monitor;

import io.losswatch.detector.RunState;
import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary form of what the run-state store writes between two snapshots of a run: the steps the
 * detector applied, each with the two instants it was given, so that the snapshot and these steps
 * give back the live state exactly (the detector is deterministic). A step keeps what the detector
 * reads: the loss and every optional number, the resume marker, and of the labels only
 * {@code optimizer} and {@code num_classes}. About 60 bytes a step with every field, against 1-1.7 KB for a whole
 * state.
 *
 * <p>Values in the store start with a mark byte: {@link #SNAPSHOT} (a sequence number, then the run
 * state's own bytes), {@link #LOG} (a sequence number and steps), or a bare run state of the formats
 * written before (their first byte is their format, 3 to 5).
 */
final class StepLog {
    static final byte SNAPSHOT = 0x53;
    static final byte LOG = 0x4C;

    /** One step as the detector applied it. */
    record Applied(StepEvent event, Instant eventTime, Instant now) {}

    /** A value of the store: a snapshot's or a log entry's sequence number and what it holds. */
    record Snapshot(long seq, byte[] state) {}

    record Entry(long seq, List<Applied> steps) {}

    private static final String OPTIMIZER = "optimizer";
    private static final String NUM_CLASSES = "num_classes";

    private static final int GRAD = 1;
    private static final int LR = 1 << 1;
    private static final int PARAM = 1 << 2;
    private static final int UPDATE = 1 << 3;
    private static final int VAL = 1 << 4;
    private static final int EPOCH = 1 << 5;
    private static final int RESUMED = 1 << 6;
    private static final int OPT_LABEL = 1 << 7;
    private static final int CLASSES_LABEL = 1 << 8;
    private static final int TIME = 1 << 9;
    /** The event time is the event's own time field: not written twice. */
    private static final int EVENT_TIME_IS_TIME = 1 << 10;

    private StepLog() {}

    static byte[] snapshot(long seq, byte[] state) {
        byte[] head = new StateWriter(12).u8(SNAPSHOT).varLong(seq).toByteArray();
        byte[] out = new byte[head.length + state.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(state, 0, out, head.length, state.length);
        return out;
    }

    static boolean isLog(byte[] value) {
        return value.length > 0 && value[0] == LOG;
    }

    /** A snapshot value, or a bare state written by an earlier release (sequence 0). */
    static Snapshot readSnapshot(byte[] value) {
        if (value.length == 0 || value[0] != SNAPSHOT) {
            return new Snapshot(0, value);
        }
        long seq = 0;
        int at = 1;
        for (int shift = 0; ; shift += 7) {
            byte b = value[at++];
            seq |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                break;
            }
        }
        byte[] state = new byte[value.length - at];
        System.arraycopy(value, at, state, 0, state.length);
        return new Snapshot(seq, state);
    }

    /** A snapshot value of {@code state}, made in {@code w} (reset first). */
    static byte[] snapshot(StateWriter w, long seq, RunState state) {
        w.reset().u8(SNAPSHOT).varLong(seq);
        state.writeTo(w);
        return w.toByteArray();
    }

    static byte[] entry(long seq, List<Applied> steps) {
        return entry(new StateWriter(16 + 64 * steps.size()), seq, steps);
    }

    /** A log entry of {@code steps}, made in {@code w} (reset first). */
    static byte[] entry(StateWriter w, long seq, List<Applied> steps) {
        w.reset().u8(LOG).varLong(seq).varInt(steps.size());
        long prevStep = 0;
        long prevSecond = 0;
        for (Applied a : steps) {
            StepEvent e = a.event();
            String opt = e.labels().get(OPTIMIZER);
            String classes = e.labels().get(NUM_CLASSES);
            int mask = (e.gradNorm() != null ? GRAD : 0)
                    | (e.learningRate() != null ? LR : 0)
                    | (e.paramNorm() != null ? PARAM : 0)
                    | (e.updateRatio() != null ? UPDATE : 0)
                    | (e.valLoss() != null ? VAL : 0)
                    | (e.epoch() != null ? EPOCH : 0)
                    | (e.resumedFrom() != null ? RESUMED : 0)
                    | (opt != null ? OPT_LABEL : 0)
                    | (classes != null ? CLASSES_LABEL : 0)
                    | (e.time() != null ? TIME : 0)
                    | (e.time() != null && e.time().equals(a.eventTime()) ? EVENT_TIME_IS_TIME : 0);
            w.varInt(mask).signed(e.step() - prevStep).f64(e.loss());
            prevStep = e.step();
            optional(w, mask, GRAD, e.gradNorm());
            optional(w, mask, LR, e.learningRate());
            optional(w, mask, PARAM, e.paramNorm());
            optional(w, mask, UPDATE, e.updateRatio());
            optional(w, mask, VAL, e.valLoss());
            if ((mask & EPOCH) != 0) {
                w.signed(e.epoch());
            }
            if ((mask & RESUMED) != 0) {
                w.signed(e.resumedFrom());
            }
            if ((mask & OPT_LABEL) != 0) {
                w.string(opt);
            }
            if ((mask & CLASSES_LABEL) != 0) {
                w.string(classes);
            }
            if ((mask & TIME) != 0) {
                prevSecond = instant(w, e.time(), prevSecond);
            }
            if ((mask & EVENT_TIME_IS_TIME) == 0) {
                prevSecond = instant(w, a.eventTime(), prevSecond);
            }
            prevSecond = instant(w, a.now(), prevSecond);
        }
        return w.toByteArray();
    }

    static Entry readEntry(byte[] value, String runId) {
        if (!isLog(value)) {
            throw new IllegalArgumentException("not a step log entry");
        }
        StateReader in = new StateReader(value, 1);
        long seq = in.varLong();
        int n = in.varInt();
        List<Applied> steps = new ArrayList<>(n);
        long step = 0;
        long[] second = {0};
        for (int i = 0; i < n; i++) {
            int mask = in.varInt();
            step += in.signed();
            double loss = in.f64();
            Double grad = optional(in, mask, GRAD);
            Double lr = optional(in, mask, LR);
            Double param = optional(in, mask, PARAM);
            Double update = optional(in, mask, UPDATE);
            Double val = optional(in, mask, VAL);
            Integer epoch = (mask & EPOCH) != 0 ? (int) in.signed() : null;
            Long resumed = (mask & RESUMED) != 0 ? in.signed() : null;
            Map<String, String> labels = new HashMap<>(2);
            if ((mask & OPT_LABEL) != 0) {
                labels.put(OPTIMIZER, in.string());
            }
            if ((mask & CLASSES_LABEL) != 0) {
                labels.put(NUM_CLASSES, in.string());
            }
            Instant time = (mask & TIME) != 0 ? instant(in, second) : null;
            Instant eventTime = (mask & EVENT_TIME_IS_TIME) != 0 ? time : instant(in, second);
            Instant now = instant(in, second);
            StepEvent e = new StepEvent(
                    StepEvent.SCHEMA_VERSION,
                    runId,
                    step,
                    time,
                    loss,
                    grad,
                    null,
                    lr,
                    param,
                    update,
                    val,
                    epoch,
                    labels,
                    resumed);
            steps.add(new Applied(e, eventTime, now));
        }
        return new Entry(seq, steps);
    }

    private static void optional(StateWriter w, int mask, int bit, Double v) {
        if ((mask & bit) != 0) {
            w.f64(v);
        }
    }

    private static Double optional(StateReader in, int mask, int bit) {
        return (mask & bit) != 0 ? in.f64() : null;
    }

    /** Seconds as a difference from the instant written before, then the nanoseconds. */
    private static long instant(StateWriter w, Instant t, long prevSecond) {
        w.signed(t.getEpochSecond() - prevSecond).varInt(t.getNano());
        return t.getEpochSecond();
    }

    private static Instant instant(StateReader in, long[] second) {
        second[0] += in.signed();
        return Instant.ofEpochSecond(second[0], in.varInt());
    }
}
