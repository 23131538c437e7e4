package io.losswatch.monitor;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.detector.Detector;
import io.losswatch.detector.DetectorConfig;
import io.losswatch.detector.RunState;
import io.losswatch.events.AlertType;
import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run-state store keeps live states and writes changed runs at each commit: what it writes must
 * be complete, whether a state is evicted, dropped (as after a rebalance or an abort) or kept.
 */
class RunStateStoreTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-27T05:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path stateDir;

    private final class Monitor implements AutoCloseable {
        final TopologyTestDriver driver;
        final TestInputTopic<byte[], byte[]> in;
        final TestOutputTopic<byte[], byte[]> out;

        Monitor(String name, int maxLiveRuns) {
            MonitorConfig config = MonitorConfig.defaults("unused:9092").withStateDir(stateDir.resolve(name));
            driver = new TopologyTestDriver(
                    MonitorTopology.build(config, new LosswatchMetrics(new SimpleMeterRegistry()), CLOCK, maxLiveRuns),
                    config.streamsProperties());
            in = driver.createInputTopic(Topics.METRICS, new ByteArraySerializer(), new ByteArraySerializer());
            out = driver.createOutputTopic(Topics.ALERTS, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }

        void send(StepEvent e) {
            in.pipeInput(e.runId().getBytes(UTF_8), EventJson.writeStep(e));
        }

        RunStateStore store() {
            return (RunStateStore) driver.getStateStore(MonitorTopology.STATE_STORE);
        }

        /** Each alert as its id and status: what must not change. */
        List<String> alerts() {
            List<String> ids = new ArrayList<>();
            for (byte[] v : out.readValuesToList()) {
                try {
                    var a = EventJson.parseAlert(v);
                    ids.add(a.alertId() + " " + a.status() + " @" + a.step());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
            return ids;
        }

        @Override
        public void close() {
            driver.close();
        }
    }

    /** Six runs interleaved, three diverging at different steps; {@code between} runs every 25 steps. */
    private static void feed(Monitor m, Consumer<Integer> between) {
        for (int i = 0; i < 240; i++) {
            for (int r = 0; r < 6; r++) {
                double loss = r % 2 == 0 && i >= 40 * (r + 1)
                        ? 2.0 * Math.exp(0.1 * (i - 40 * (r + 1)))
                        : 2.0 * Math.exp(-i / 150.0) * (1 + 0.02 * Math.sin(i * 1.7 + r));
                m.send(StepEvent.of("run-" + r, i, loss).withLearningRate(0.1));
            }
            if (i % 25 == 24) {
                between.accept(i);
            }
        }
    }

    @Test
    void shouldWriteAChangedRunsStateToTheLoggedStoreByTheCommit() {
        try (Monitor m = new Monitor("m", 10_000)) {
            for (int i = 0; i < 30; i++) {
                m.send(StepEvent.of("a", i, 1.0 / (i + 1)));
            }
            assertThat(m.store().wrapped().get("a")).isNotNull();
            m.store().clearCache(); // as after a crash: only what was written
            assertThat(m.store().get("a").lastStep()).isEqualTo(29);
        }
    }

    @Test
    void shouldWriteAFewDozenBytesForAStepAndTheWholeStateOnlyNowAndThen() {
        List<Integer> written = new ArrayList<>();
        try (Monitor m = new Monitor("sizes", 10_000)) {
            for (int i = 0; i < 1000; i++) {
                StepEvent e = StepEvent.of("full", i, 2.0 * Math.exp(-i / 300.0) * (1 + 0.05 * Math.sin(i)))
                        .withLearningRate(0.01);
                m.send(new StepEvent(
                        e.schema(),
                        e.runId(),
                        e.step(),
                        e.time(),
                        e.loss(),
                        1.5 + Math.cos(i),
                        null,
                        e.learningRate(),
                        20.0,
                        1e-3,
                        i % 10 == 0 ? e.loss() * 1.1 : null,
                        i / 100,
                        java.util.Map.of("optimizer", "adam", "model", "lenet"),
                        null));
                // one commit per record here: one value written per step, numbered i + 1
                long seq = i + 1;
                byte[] slot = m.store().wrapped().get("full\u0000" + seq % RunStateStore.LOG_SLOTS);
                boolean logged = slot != null && StepLog.readEntry(slot, "full").seq() == seq;
                written.add(logged ? slot.length : -m.store().wrapped().get("full").length);
            }
            RunState live = m.store().get("full");
            assertThat(m.store().readBack("full").toBytes()).isEqualTo(live.toBytes());
            int snapshot = live.toBytes().length;
            long logs = written.stream().filter(n -> n > 0).count();
            double perStep = written.stream().mapToInt(n -> n > 0 ? n : 0).sum() / (double) logs;
            assertThat(perStep).as("bytes of a logged step").isLessThan(80);
            assertThat(snapshot).as("bytes of the whole state").isGreaterThan(1000);
            assertThat(logs).as("steps logged rather than written whole").isGreaterThan(900);
        }
    }

    @Test
    void shouldKeepTheLiveStatesOfEveryTaskWithinOneBudget() {
        Detector detector = new Detector(DetectorConfig.defaults());
        LiveStateBudget budget = LiveStateBudget.ofRuns(3);
        List<RunStateStore> tasks = new ArrayList<>();
        for (String name : List.of("task-0", "task-1")) {
            RunStateStore store =
                    opened(new RunStateStore(memory(name), detector, budget, RunStateStore.SNAPSHOT_EVERY_STEPS));
            tasks.add(store);
        }
        Instant t = Instant.parse("2026-11-27T05:00:00Z");
        long peak = 0;
        for (int i = 0; i < 200; i++) {
            for (int r = 0; r < 4; r++) { // two runs in each task
                RunStateStore store = tasks.get(r % 2);
                String run = "run-" + r;
                StepEvent e = StepEvent.of(run, i, 2.0 * Math.exp(r == 0 ? 0.05 * i : -i / 100.0));
                RunState s = store.get(run);
                detector.onStep(s, e, t.plusSeconds(i), t.plusSeconds(i));
                store.changed(run, s, e, t.plusSeconds(i), t.plusSeconds(i));
                peak = Math.max(peak, budget.live());
            }
            if (i % 7 == 6) {
                tasks.forEach(RunStateStore::flushCache);
            }
        }
        tasks.forEach(RunStateStore::flushCache);
        assertThat(peak).as("live states of both tasks together").isLessThanOrEqualTo(3);
        RunState growing = tasks.get(0).get("run-0");
        assertThat(growing.lastStep()).isEqualTo(199);
        assertThat(growing.slot(AlertType.LOSS_EXPONENTIAL_GROWTH).firing()).isTrue();
        tasks.forEach(RunStateStore::close);
        assertThat(budget.live()).isZero();
    }

    @Test
    void shouldChargeEachRunTheHeapItsStateTakes() {
        Detector detector = new Detector(DetectorConfig.defaults());
        long budgetBytes = 200 * 1024;
        LiveStateBudget budget = LiveStateBudget.ofBytes(budgetBytes);
        RunStateStore store =
                opened(new RunStateStore(memory("s"), detector, budget, RunStateStore.SNAPSHOT_EVERY_STEPS));
        RunStateStore unbounded = opened(new RunStateStore(memory("ref"), detector, 100_000));
        Instant t = Instant.parse("2026-11-27T05:00:00Z");
        int runs = 120;
        long liveWhenShort = 0;
        long peakBytes = 0;
        for (int i = 0; i < 300; i++) {
            for (int r = 0; r < runs; r++) {
                String run = "run-" + r;
                StepEvent e = StepEvent.of(run, i, 2.0 * Math.exp(r % 10 == 0 ? 0.03 * i : -i / 100.0))
                        .withGradNorm(1.0 + 0.01 * (i % 7));
                for (RunStateStore s : List.of(store, unbounded)) {
                    RunState state = s.get(run);
                    detector.onStep(state, e, t.plusSeconds(i), t.plusSeconds(i));
                    s.changed(run, state, e, t.plusSeconds(i), t.plusSeconds(i));
                }
                peakBytes = Math.max(peakBytes, budget.bytes());
            }
            if (i == 5) {
                liveWhenShort = budget.live();
            }
            if (i % 3 == 2) {
                store.flushCache();
                unbounded.flushCache();
            }
        }
        long liveWhenLong = budget.live();
        // after 6 steps 120 runs take about 2.0 KB each: about 100 fit; once their windows are full, about
        // 3.9 KB each: about 53
        assertThat(liveWhenShort).as("short runs kept live").isBetween(90L, 115L);
        assertThat(liveWhenLong).as("long runs kept live").isBetween(45L, 60L);
        assertThat(peakBytes).as("heap charged at most").isLessThanOrEqualTo(budgetBytes);
        for (int r = 0; r < runs; r++) {
            assertThat(store.get("run-" + r).toBytes())
                    .as("run-%d, evicted and read back, as if always live", r)
                    .isEqualTo(unbounded.get("run-" + r).toBytes());
        }
        store.close();
        assertThat(budget.live()).isZero();
        assertThat(budget.bytes()).isZero();
    }

    @Test
    void shouldContinueARunWhoseWholeStateAnEarlierReleaseWrote() {
        Detector detector = new Detector(DetectorConfig.defaults());
        KeyValueStore<String, byte[]> logged = memory("s");
        RunStateStore reference = opened(new RunStateStore(memory("ref"), detector, 100));
        apply(reference, detector, 0, 8);
        RunStateStore store = opened(new RunStateStore(logged, detector, 100));
        logged.put("r", reference.get("r").toBytes()); // a bare run state under the run id, as before
        assertThat(store.get("r").lastStep()).isEqualTo(7);
        apply(store, detector, 8, 20);
        apply(reference, detector, 8, 20);
        store.flushCache();
        store.clearCache();

        assertThat(store.get("r").toBytes()).isEqualTo(reference.get("r").toBytes());
        assertThat(store.get("r").slot(AlertType.LOSS_EXPONENTIAL_GROWTH).firing())
                .isTrue();
    }

    @Test
    void shouldReadBackExactlyTheLiveStateAfterAnyCommit() {
        Detector detector = new Detector(DetectorConfig.defaults());
        RunStateStore store = opened(new RunStateStore(memory("s"), detector, 100));
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        Instant t0 = Instant.parse("2026-11-27T05:00:00.123456Z");
        long step = 0;
        for (int i = 0; i < 3000; i++) {
            // a run with every field, learning-rate changes, a blow-up, a rollback and a restart
            step = i == 1500 ? 0 : step + 1;
            double loss = i > 700 && i < 760 ? Math.exp(0.3 * (i - 700)) : 2.0 * Math.exp(-i / 900.0);
            if (i == 730) {
                loss = Double.NaN;
            }
            StepEvent e = new StepEvent(
                    StepEvent.SCHEMA_VERSION,
                    "r",
                    step,
                    i % 3 == 0 ? null : t0.plusMillis(i * 37L),
                    loss,
                    i % 5 == 0 ? null : 1.0 + random.nextDouble(),
                    null,
                    i < 400 ? 0.1 : 0.01,
                    i % 10 == 0 ? 30.0 + random.nextDouble() : null,
                    i % 10 == 0 ? 1e-3 * random.nextDouble() : null,
                    i % 50 == 0 ? loss * 1.2 : null,
                    (int) (step / 100),
                    i < 3 ? java.util.Map.of("optimizer", "sgd", "num_classes", "10") : java.util.Map.of(),
                    i == 780 ? Long.valueOf(690) : null);
            Instant eventTime = e.time() != null ? e.time() : t0.plusMillis(i * 41L);
            Instant now = now(t0, i);
            RunState s = store.get("r");
            detector.onStep(s, e, eventTime, now);
            store.changed("r", s, e, eventTime, now);
            if (random.nextInt(4) == 0) {
                store.flushCache();
                assertThat(store.readBack("r").toBytes())
                        .as("read back after step %d", i)
                        .isEqualTo(store.get("r").toBytes());
            }
        }
        store.flushCache();
        store.clearCache(); // not live: its idle time is read from the store
        store.deleteIdle(lastSeen -> lastSeen < now(t0, 2998).toEpochMilli());
        assertThat(store.get("r").lastStep()).as("seen last at step 2999: kept").isEqualTo(1499);
        store.deleteIdle(lastSeen -> true);
        try (var all = store.wrapped().all()) {
            assertThat(all.hasNext())
                    .as("the snapshot and every log entry deleted")
                    .isFalse();
        }
    }

    private static Instant now(Instant t0, int i) {
        return t0.plusNanos(i * 1_000_123L);
    }

    @Test
    void shouldRaiseTheSameAlertsWhenLiveStatesAreEvictedOrDropped() {
        List<String> reference;
        try (Monitor m = new Monitor("reference", 10_000)) {
            feed(m, i -> {});
            reference = m.alerts();
        }
        assertThat(reference.stream().map(a -> a.substring(0, a.indexOf('/'))).distinct())
                .containsExactly("run-0", "run-2", "run-4"); // the diverging runs, each alerted

        try (Monitor m = new Monitor("evicting", 2)) { // every step of a run finds its state evicted
            feed(m, i -> {});
            assertThat(m.alerts()).isEqualTo(reference);
        }
        try (Monitor m = new Monitor("dropping", 10_000)) {
            feed(m, i -> m.store().clearCache()); // as after an abort: read back what was committed
            assertThat(m.alerts()).isEqualTo(reference);
        }
    }

    /** An in-memory key-value store without a changelog, under the run-state store in these tests. */
    private static KeyValueStore<String, byte[]> memory(String name) {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled()
                .build();
    }

    /** The store, initialised as a task would before its first record. */
    private static RunStateStore opened(RunStateStore store) {
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        return store;
    }

    /** Steps [from, to) of a run whose loss grows 22% a step, applied through the store as the processor does. */
    private static void apply(RunStateStore store, Detector detector, int from, int to) {
        for (int i = from; i < to; i++) {
            StepEvent e = StepEvent.of("r", i, Math.exp(0.2 * i));
            Instant t = Instant.parse("2026-11-27T05:00:00Z").plusSeconds(i);
            RunState s = store.get("r");
            detector.onStep(s, e, t, t);
            store.changed("r", s, e, t, t);
        }
    }

    @Test
    void shouldUndoOnlyTheFailedStepWhenAStepFails() {
        Detector detector = new Detector(DetectorConfig.defaults());
        KeyValueStore<String, byte[]> logged = memory("s");
        RunStateStore store = opened(new RunStateStore(logged, detector, 100));
        RunStateStore reference = opened(new RunStateStore(memory("ref"), detector, 100));
        apply(reference, detector, 0, 20);

        apply(store, detector, 0, 10);
        store.flushCache(); // a commit: steps 0-9 written
        apply(store, detector, 10, 20); // applied, not yet written; the growth alert fires among them
        RunState half = store.get("r");
        detector.onStep(
                half,
                StepEvent.of("r", 20, 1e6),
                Instant.parse("2026-11-27T05:00:20Z"),
                Instant.parse("2026-11-27T05:00:20Z")); // step 20 "fails" after changing the state
        store.rollBack("r");

        RunState back = store.get("r");
        assertThat(back.lastStep()).isEqualTo(19);
        assertThat(reference.get("r").slot(AlertType.LOSS_EXPONENTIAL_GROWTH).firing())
                .isTrue();
        assertThat(back.toBytes()).isEqualTo(reference.get("r").toBytes()); // windows, trackers and alerts
        store.flushCache();
        assertThat(store.readBack("r").lastStep()).isEqualTo(19);
    }
}
