package io.losswatch.monitor;

import io.losswatch.detector.Detector;
import java.time.Clock;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.Topology;

/** Builds the monitor's topology: the one method production and every test call. */
public final class MonitorTopology {
    public static final String SOURCE = "metrics-source";
    public static final String DETECT = "detect";
    public static final String ALERTS_SINK = "alerts-sink";
    public static final String DLQ_SINK = "dlq-sink";
    public static final String STATE_STORE = "run-state";
    /**
     * A JVM property for experiments: steps a run logs before its state store writes its whole state
     * again (default 64); 0 writes the whole state at every commit, as releases before the step log did.
     */
    public static final String SNAPSHOT_EVERY_STEPS_PROPERTY = RunStateStore.SNAPSHOT_EVERY_STEPS_PROPERTY;

    private MonitorTopology() {}

    public static Topology build(MonitorConfig config, LosswatchMetrics metrics, Clock clock) {
        return build(config, metrics, clock, LiveStateBudget.ofBytes(config.liveStateBytesResolved()));
    }

    /** As {@link #build(MonitorConfig, LosswatchMetrics, Clock)}, with a bound on the live run states: for tests. */
    static Topology build(MonitorConfig config, LosswatchMetrics metrics, Clock clock, int maxLiveRuns) {
        return build(config, metrics, clock, LiveStateBudget.ofRuns(maxLiveRuns));
    }

    private static Topology build(MonitorConfig config, LosswatchMetrics metrics, Clock clock, LiveStateBudget budget) {
        metrics.liveStates(budget);
        Detector detector = new Detector(config.detector());
        Topology t = new Topology();
        // raw bytes in, so that a record that is not a valid event can go to the DLQ exactly as received
        t.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), config.metricsTopic());
        t.addProcessor(
                DETECT,
                () -> new StepProcessor(detector, metrics, clock, config.runIdleTimeout(), config.stateRetention()),
                SOURCE);
        // live run states, each changed run written to RocksDB and the changelog once per commit
        t.addStateStore(new RunStateStore.Builder(STATE_STORE, detector, budget), DETECT);
        t.addSink(ALERTS_SINK, config.alertsTopic(), new ByteArraySerializer(), new ByteArraySerializer(), DETECT);
        t.addSink(DLQ_SINK, config.dlqTopic(), new ByteArraySerializer(), new ByteArraySerializer(), DETECT);
        return t;
    }
}
