package io.losswatch.monitor;

import io.losswatch.detector.Detector;
import io.losswatch.detector.RunState;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.events.StepEvent;
import io.losswatch.monitor.StepLog.Applied;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.internals.WrappedStateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor's run-state store: it keeps the live {@link RunState} of each run its task has seen
 * and, once per commit, writes what changed in each changed run: the steps applied since its last
 * write (a few dozen bytes each, {@link StepLog}), and every {@value #SNAPSHOT_EVERY_STEPS} steps or
 * so the whole state instead. The bytes written per step so no longer grow with the detector's
 * windows: a state is 1-1.7 KB, a logged step with every field about 60 bytes.
 *
 * <p>Kafka Streams calls {@link #flushCache()} on every store in a task's commit, before it
 * flushes the task's producer and commits the transaction (exactly-once) or the offsets; this is the
 * hook Kafka's own record cache uses. So the changelog still holds, at each commit, what gives back
 * the state that matches the committed input offsets. The live states are dropped whenever the store
 * is initialised, closed or its cache cleared: after a rebalance, an exactly-once abort or a crash the
 * store restored from its changelog is the truth, and a run's state is read back as its last snapshot
 * with the logged steps applied again (the detector is deterministic).
 *
 * <p>The wrapped store is a plain logged key-value store: the run id holds the run's snapshot (the
 * same key as the releases that wrote a bare state there, which are still read), and
 * {@value #LOG_SLOTS} keys {@code run id + NUL + slot} hold its log entries in turn, each with a
 * sequence number, so that a slot left from before the last snapshot is never applied.
 * {@link WrappedStateStore} is Kafka Streams internal API: pinned with the Kafka version.
 */
final class RunStateStore extends WrappedStateStore<KeyValueStore<String, byte[]>, String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(RunStateStore.class);
    /** Keys a run's log entries take in turn; a run writes a snapshot at the latest when they are all used. */
    static final int LOG_SLOTS = 16;
    /** Steps logged since a run's snapshot past which its next write is a snapshot: bounds a read's replay. */
    static final int SNAPSHOT_EVERY_STEPS = 64;
    /**
     * The JVM property that sets {@link #SNAPSHOT_EVERY_STEPS} for an experiment; 0 writes the whole state
     * on every write, as releases before the step log did (how {@code bench throughput} compares them).
     */
    static final String SNAPSHOT_EVERY_STEPS_PROPERTY = "losswatch.state.snapshot-every-steps";
    /**
     * A logged step with every field, about: a run with that many steps to write since its last write (few
     * runs, many steps each per commit) writes them as a snapshot instead, which is then smaller and no
     * slower to make (a 1.5 KB state takes about 1 us to write, 14 logged steps 0.84 KB and about 1 us).
     */
    static final int LOGGED_STEP_BYTES = 64;

    /** Logged steps that make a run's next write a snapshot whatever the setting. */
    private static final int FORCE_SNAPSHOT = Integer.MAX_VALUE / 2;

    private static final char SLOT_SEPARATOR = '\u0000';

    private static final class Live {
        final String runId;
        final RunState state;
        /** The steps applied since the state was last written (or read), in order; none: nothing to write. */
        final List<Applied> since = new ArrayList<>(4);
        /** The sequence number of the run's last value in the store (snapshot or log entry), 0 for none. */
        long seq;
        /** The sequence number of the run's last snapshot. */
        long snapshotSeq;
        /** Steps in the run's log entries after that snapshot. */
        int loggedSteps;
        /** Bytes of the run's last snapshot: a log entry that would be as big is written as a snapshot. */
        int snapshotBytes;
        /** Heap the budget charges the run, as of its last step. */
        long charged;
        /** The run's per-run series object as of its last step, kept here to save a lookup a step. */
        RunSeries.Run series;

        Live(String runId, RunState state, long seq, long snapshotSeq, int loggedSteps) {
            this.runId = runId;
            this.state = state;
            this.seq = seq;
            this.snapshotSeq = snapshotSeq;
            this.loggedSteps = loggedSteps;
        }

        boolean dirty() {
            return !since.isEmpty();
        }
    }

    private final Detector detector;
    private final int snapshotEverySteps;
    private final LiveStateBudget budget;
    private final Map<String, Live> live;
    /** The live states changed since the last commit (some may have been written since, by an eviction). */
    private final List<Live> changed = new ArrayList<>();
    /** Makes every value this store writes: one buffer, grown to the largest state, instead of one a write. */
    private final StateWriter writer = new StateWriter(4096);
    /** The live state {@link #get} returned last, while it is live: {@link #changed} of the same record takes it. */
    private Live lastGot;

    /** A store that keeps at most {@code maxLiveRuns} live states: for tests. */
    RunStateStore(KeyValueStore<String, byte[]> logged, Detector detector, int maxLiveRuns) {
        this(logged, detector, LiveStateBudget.ofRuns(maxLiveRuns), SNAPSHOT_EVERY_STEPS);
    }

    /**
     * @param budget the live states of every task of the instance together: past it, this store writes out
     *     its least recently stepped run
     */
    RunStateStore(
            KeyValueStore<String, byte[]> logged, Detector detector, LiveStateBudget budget, int snapshotEverySteps) {
        super(logged);
        this.snapshotEverySteps = snapshotEverySteps;
        this.detector = detector;
        this.budget = budget;
        this.live = new LinkedHashMap<>(256, 0.75f, true);
    }

    private void putLive(String runId, Live l) {
        l.charged = LiveStateBudget.charge(runId, l.state.heapBytes());
        budget.added(l.charged);
        Live old = live.put(runId, l);
        if (old != null) {
            budget.removed(old.charged);
            forget(old);
        }
        trim();
    }

    /** Charges the run what its state takes after a step: its windows grow with its points, up to their size. */
    private void recharge(Live l) {
        long now = LiveStateBudget.charge(l.runId, l.state.heapBytes());
        if (now != l.charged) {
            budget.resized(now - l.charged);
            l.charged = now;
            trim();
        }
    }

    /**
     * Writes out the least recently stepped runs while the instance is over its budget, keeping at least
     * the newest: it is the run being stepped.
     */
    private void trim() {
        Iterator<Live> eldest = live.values().iterator();
        while (budget.over() && live.size() > 1) {
            Live l = eldest.next();
            if (l.dirty() || l.loggedSteps > 0) {
                // whole, so that its next read is one value and no replay: an evicted run is likely read again
                l.loggedSteps = FORCE_SNAPSHOT;
                write(l);
            }
            eldest.remove();
            budget.removed(l.charged);
            forget(l);
        }
    }

    private Live removeLive(String runId) {
        Live l = live.remove(runId);
        if (l != null) {
            budget.removed(l.charged);
            forget(l);
        }
        return l;
    }

    private void forget(Live l) {
        if (l == lastGot) {
            lastGot = null;
        }
    }

    private void clearLive() {
        for (Live l : live.values()) {
            budget.removed(l.charged);
        }
        live.clear();
        changed.clear();
        lastGot = null;
    }

    /** The run's live state: kept, read from the store, or new. */
    RunState get(String runId) {
        Live l = live.get(runId);
        if (l == null) {
            l = read(runId);
            putLive(runId, l);
        }
        lastGot = l;
        return l.state;
    }

    /** The per-run series object kept with the state {@link #get} returned last; null when none is. */
    RunSeries.Run lastSeries() {
        return lastGot != null ? lastGot.series : null;
    }

    /** Keeps {@code series} with the state {@link #get} returned last, for its run's next step. */
    void keepSeries(RunSeries.Run series) {
        if (lastGot != null) {
            lastGot.series = series;
        }
    }

    /**
     * Marks the run's state (the object {@link #get} returned) changed by {@code event}: it is written
     * at the next commit, and the step is remembered until then in case a later step fails.
     */
    void changed(String runId, RunState state, StepEvent event, Instant eventTime, Instant now) {
        Live l = lastGot != null && lastGot.state == state ? lastGot : live.get(runId);
        if (l == null || l.state != state) {
            // not the object get() returned (cannot happen within one record): write it whole next time
            l = fresh(runId, state, read(runId).seq);
            putLive(runId, l);
        }
        if (!l.dirty()) {
            changed.add(l);
        }
        l.since.add(new Applied(event, eventTime, now));
        recharge(l);
    }

    /**
     * Undoes a failed step: its state may be half updated, so the run's state is read back as last
     * written and the steps applied since then, all but the failed one, are applied to it again. A
     * step that makes the monitor fail (only a monitor bug can) so costs that step alone. The replay
     * raises no alert again (those were sent); if it fails too, the run goes back to its last written
     * state.
     */
    void rollBack(String runId) {
        Live failed = removeLive(runId);
        if (failed == null) {
            return;
        }
        List<Applied> steps = new ArrayList<>(failed.since);
        failed.since.clear(); // so that the commit does not write it
        Live stored = read(runId);
        try {
            for (Applied a : steps) {
                detector.onStep(stored.state, a.event(), a.eventTime(), a.now());
            }
        } catch (RuntimeException e) {
            LOG.error(
                    "could not replay the steps of run {} since its state was last written; going back to that "
                            + "state: {}",
                    runId,
                    e.toString(),
                    e);
            return;
        }
        if (!steps.isEmpty()) {
            stored.since.addAll(steps);
            changed.add(stored);
        }
        putLive(runId, stored);
    }

    /** Deletes the runs whose last event is older than the cutoff, with their log entries. */
    void deleteIdle(LongPredicate lastSeenMillisIsOld) {
        writeChanged(); // the logged store is then complete
        List<String> old = new ArrayList<>();
        Map<String, List<String>> slots = new HashMap<>();
        try (KeyValueIterator<String, byte[]> it = wrapped().all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                int sep = kv.key.indexOf(SLOT_SEPARATOR);
                if (sep >= 0) {
                    slots.computeIfAbsent(kv.key.substring(0, sep), k -> new ArrayList<>())
                            .add(kv.key);
                    continue;
                }
                Live l = live.get(kv.key);
                try {
                    // a snapshot may be older than the steps logged after it: look at those before deleting
                    if (l != null
                            ? lastSeenMillisIsOld.test(l.state.lastSeenMillis())
                            : lastSeenMillisIsOld.test(snapshotState(kv.value).lastSeenMillis())
                                    && lastSeenMillisIsOld.test(
                                            read(kv.key).state.lastSeenMillis())) {
                        old.add(kv.key);
                    }
                } catch (RuntimeException e) {
                    old.add(kv.key); // unreadable: it would be discarded on its next step anyway
                }
            }
        }
        for (String k : old) {
            removeLive(k);
            wrapped().delete(k);
            for (String slot : slots.getOrDefault(k, List.of())) {
                wrapped().delete(slot);
            }
        }
    }

    /** The run's state as a restart would read it from the store: its snapshot and logged steps. */
    RunState readBack(String runId) {
        return read(runId).state;
    }

    private RunState snapshotState(byte[] value) {
        return RunState.fromBytes(StepLog.readSnapshot(value).state(), detector.config());
    }

    private static String slotKey(String runId, long seq) {
        return runId + SLOT_SEPARATOR + (seq % LOG_SLOTS);
    }

    /** The run as last written: its snapshot with the steps logged after it applied again. */
    private Live read(String runId) {
        byte[] stored = wrapped().get(runId);
        if (stored == null) {
            return new Live(runId, detector.newState(), 0, 0, 0); // a run always writes a snapshot first
        }
        StepLog.Snapshot snapshot;
        RunState state;
        try {
            snapshot = StepLog.readSnapshot(stored);
            state = RunState.fromBytes(snapshot.state(), detector.config());
        } catch (RuntimeException e) {
            LOG.warn("discarding unreadable state of run {}: {}", runId, e.toString());
            return fresh(runId, detector.newState(), 0);
        }
        long seq = snapshot.seq();
        int logged = 0;
        try {
            for (long k = snapshot.seq() + 1; k < snapshot.seq() + LOG_SLOTS; k++) {
                byte[] value = wrapped().get(slotKey(runId, k));
                if (value == null) {
                    break;
                }
                StepLog.Entry entry = StepLog.readEntry(value, runId);
                if (entry.seq() != k) {
                    break; // a slot from before the snapshot
                }
                for (Applied a : entry.steps()) {
                    detector.onStep(state, a.event(), a.eventTime(), a.now());
                }
                seq = k;
                logged += entry.steps().size();
            }
        } catch (RuntimeException e) {
            LOG.warn(
                    "discarding the steps logged for run {} after its snapshot, which could not be applied: {}",
                    runId,
                    e.toString());
            return fresh(runId, RunState.fromBytes(snapshot.state(), detector.config()), snapshot.seq());
        }
        Live l = new Live(runId, state, seq, snapshot.seq(), logged);
        l.snapshotBytes = stored.length;
        return l;
    }

    /**
     * A state whose store entries are not to be trusted: its next write is a snapshot, numbered past
     * every log entry the run may have, so that none of them is applied to it.
     */
    private static Live fresh(String runId, RunState state, long seq) {
        return new Live(runId, state, seq + LOG_SLOTS, seq + LOG_SLOTS, FORCE_SNAPSHOT);
    }

    /**
     * Writes what changed in the run: its logged steps, or a snapshot when it has none yet or enough
     * steps were logged since the last. False if the state could not be serialized (a monitor bug),
     * which is logged and leaves what was written before in place: one run must not fail every commit
     * after it.
     */
    private boolean write(Live l) {
        long seq = l.seq + 1;
        boolean snapshot = l.seq == 0
                || l.loggedSteps + l.since.size() > snapshotEverySteps
                || seq - l.snapshotSeq >= LOG_SLOTS
                || (long) l.since.size() * LOGGED_STEP_BYTES >= l.snapshotBytes;
        try {
            if (snapshot) {
                byte[] value = StepLog.snapshot(writer, seq, l.state);
                wrapped().put(l.runId, value);
                l.snapshotSeq = seq;
                l.loggedSteps = 0;
                l.snapshotBytes = value.length;
            } else {
                wrapped().put(slotKey(l.runId, seq), StepLog.entry(writer, seq, l.since));
                l.loggedSteps += l.since.size();
            }
        } catch (RuntimeException e) {
            LOG.error(
                    "could not serialize the state of run {}; keeping the one written before: {}",
                    l.runId,
                    e.toString(),
                    e);
            l.since.clear();
            return false;
        }
        l.seq = seq;
        l.since.clear();
        return true;
    }

    private void writeChanged() {
        for (Live l : changed) {
            if (l.dirty() && !write(l) && live.get(l.runId) == l) {
                removeLive(l.runId);
            }
        }
        changed.clear();
    }

    /** Called by Kafka Streams in every commit, before the producer is flushed and the offsets committed. */
    @Override
    public void flushCache() {
        writeChanged();
        super.flushCache();
    }

    @Override
    public void clearCache() {
        clearLive();
        super.clearCache();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        clearLive();
        super.init(context, root);
    }

    @Override
    public void close() {
        clearLive();
        super.close();
    }

    /** Builds the store for a topology: a logged, uncached RocksDB store under this layer. */
    static final class Builder implements StoreBuilder<RunStateStore> {
        private final StoreBuilder<KeyValueStore<String, byte[]>> logged;
        private final Detector detector;
        private final LiveStateBudget budget;

        Builder(String name, Detector detector, LiveStateBudget budget) {
            this.logged = Stores.keyValueStoreBuilder(
                            Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
                    .withCachingDisabled();
            this.detector = detector;
            this.budget = budget;
        }

        /** This store is its own cache: Kafka's record cache under it would only copy the bytes again. */
        @Override
        public Builder withCachingEnabled() {
            return this;
        }

        @Override
        public Builder withCachingDisabled() {
            return this;
        }

        @Override
        public Builder withLoggingEnabled(Map<String, String> config) {
            logged.withLoggingEnabled(config);
            return this;
        }

        @Override
        public Builder withLoggingDisabled() {
            logged.withLoggingDisabled();
            return this;
        }

        @Override
        public RunStateStore build() {
            return new RunStateStore(
                    logged.build(),
                    detector,
                    budget,
                    Integer.getInteger(SNAPSHOT_EVERY_STEPS_PROPERTY, SNAPSHOT_EVERY_STEPS));
        }

        @Override
        public Map<String, String> logConfig() {
            return logged.logConfig();
        }

        @Override
        public boolean loggingEnabled() {
            return logged.loggingEnabled();
        }

        @Override
        public String name() {
            return logged.name();
        }
    }
}
