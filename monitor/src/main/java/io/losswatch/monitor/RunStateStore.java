package io.losswatch.monitor;

import io.losswatch.detector.Detector;
import io.losswatch.detector.RunState;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.ArrayList;
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
 * and writes a changed run's bytes to the logged RocksDB store once per commit, instead of
 * serializing the state on every step.
 *
 * <p>Kafka Streams calls {@link #flushCache()} on every store in a task's commit, before it
 * flushes the task's producer and commits the transaction (exactly-once) or the offsets; this is the
 * hook Kafka's own record cache uses, and here it writes every run changed since the last commit.
 * So the changelog still holds, at each commit, the state that matches the committed input offsets.
 * The live states are dropped whenever the store is initialised, closed or its cache cleared: after
 * a rebalance, an exactly-once abort or a crash the store restored from its changelog is the truth.
 *
 * <p>The wrapped store is a plain logged key-value store (run id to {@link RunState#toBytes()}),
 * with the same name, serdes and changelog topic as before, so an upgrade keeps every run's state.
 * {@link WrappedStateStore} is Kafka Streams internal API: pinned with the Kafka version.
 */
final class RunStateStore extends WrappedStateStore<KeyValueStore<String, byte[]>, String, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(RunStateStore.class);
    /** Live states kept per task (a few KB each); a run past it is written out and read again later. */
    static final int MAX_LIVE_RUNS = 10_000;

    /** A step applied to a live state since it was last written: what a roll-back replays. */
    private record Applied(StepEvent event, Instant eventTime, Instant now) {}

    private static final class Live {
        final RunState state;
        /** The steps applied since the state was last written (or read), in order; none: nothing to write. */
        final List<Applied> since = new ArrayList<>(4);

        Live(RunState state) {
            this.state = state;
        }

        boolean dirty() {
            return !since.isEmpty();
        }
    }

    private final Detector detector;
    private final Map<String, Live> live;

    RunStateStore(KeyValueStore<String, byte[]> logged, Detector detector, int maxLiveRuns) {
        super(logged);
        if (maxLiveRuns < 1) {
            throw new IllegalArgumentException("at least one live run state, got " + maxLiveRuns);
        }
        this.detector = detector;
        this.live = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Live> eldest) {
                if (size() <= maxLiveRuns) {
                    return false;
                }
                if (eldest.getValue().dirty()) {
                    write(eldest.getKey(), eldest.getValue().state);
                }
                return true;
            }
        };
    }

    /** The run's live state: kept, read from the store, or new. */
    RunState get(String runId) {
        Live l = live.get(runId);
        if (l == null) {
            l = new Live(read(runId));
            live.put(runId, l);
        }
        return l.state;
    }

    /**
     * Marks the run's state (the object {@link #get} returned) changed by {@code event}: it is written
     * at the next commit, and the step is remembered until then in case a later step fails.
     */
    void changed(String runId, RunState state, StepEvent event, Instant eventTime, Instant now) {
        Live l = live.get(runId);
        if (l == null || l.state != state) {
            l = new Live(state);
            live.put(runId, l);
        }
        l.since.add(new Applied(event, eventTime, now));
    }

    /**
     * Undoes a failed step: its state may be half updated, so the run's state is read back as last
     * written and the steps applied since then, all but the failed one, are applied to it again. A
     * step that makes the monitor fail (only a monitor bug can) so costs that step alone, as with a
     * state written after every step, which is what this store exists to avoid. The replay raises no
     * alert again (those were sent); if it fails too, the run goes back to its last written state.
     */
    void rollBack(String runId) {
        Live failed = live.remove(runId);
        if (failed == null) {
            return;
        }
        RunState state = read(runId);
        try {
            for (Applied a : failed.since) {
                detector.onStep(state, a.event(), a.eventTime(), a.now());
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
        Live l = new Live(state);
        l.since.addAll(failed.since);
        live.put(runId, l);
    }

    /** Deletes the runs whose last event is older than the cutoff. */
    void deleteIdle(LongPredicate lastSeenMillisIsOld) {
        writeChanged(); // the logged store is then complete
        List<String> old = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = wrapped().all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                Live l = live.get(kv.key);
                try {
                    long lastSeen = l != null
                            ? l.state.lastSeenMillis()
                            : RunState.fromBytes(kv.value, detector.config()).lastSeenMillis();
                    if (lastSeenMillisIsOld.test(lastSeen)) {
                        old.add(kv.key);
                    }
                } catch (RuntimeException e) {
                    old.add(kv.key); // unreadable: it would be discarded on its next step anyway
                }
            }
        }
        for (String k : old) {
            live.remove(k);
            wrapped().delete(k);
        }
    }

    private RunState read(String runId) {
        byte[] stored = wrapped().get(runId);
        if (stored == null) {
            return detector.newState();
        }
        try {
            return RunState.fromBytes(stored, detector.config());
        } catch (RuntimeException e) {
            LOG.warn("discarding unreadable state of run {}: {}", runId, e.toString());
            return detector.newState();
        }
    }

    /**
     * Writes the run's state; false if it could not be serialized (a monitor bug), which is logged
     * and leaves the last written state in place: one run must not fail every commit after it.
     */
    private boolean write(String runId, RunState state) {
        byte[] bytes;
        try {
            bytes = state.toBytes();
        } catch (RuntimeException e) {
            LOG.error(
                    "could not serialize the state of run {}; keeping the one written before: {}",
                    runId,
                    e.toString(),
                    e);
            return false;
        }
        wrapped().put(runId, bytes);
        return true;
    }

    private void writeChanged() {
        List<String> broken = new ArrayList<>();
        for (Map.Entry<String, Live> e : live.entrySet()) {
            Live l = e.getValue();
            if (l.dirty()) {
                if (!write(e.getKey(), l.state)) {
                    broken.add(e.getKey());
                }
                l.since.clear();
            }
        }
        broken.forEach(live::remove);
    }

    /** Called by Kafka Streams in every commit, before the producer is flushed and the offsets committed. */
    @Override
    public void flushCache() {
        writeChanged();
        super.flushCache();
    }

    @Override
    public void clearCache() {
        live.clear();
        super.clearCache();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        live.clear();
        super.init(context, root);
    }

    @Override
    public void close() {
        live.clear();
        super.close();
    }

    /** Builds the store for a topology: a logged, uncached RocksDB store under this layer. */
    static final class Builder implements StoreBuilder<RunStateStore> {
        private final StoreBuilder<KeyValueStore<String, byte[]>> logged;
        private final Detector detector;
        private final int maxLiveRuns;

        Builder(String name, Detector detector, int maxLiveRuns) {
            this.logged = Stores.keyValueStoreBuilder(
                            Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
                    .withCachingDisabled();
            this.detector = detector;
            this.maxLiveRuns = maxLiveRuns;
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
            return new RunStateStore(logged.build(), detector, maxLiveRuns);
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
