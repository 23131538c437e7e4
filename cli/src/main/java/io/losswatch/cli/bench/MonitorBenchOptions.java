package io.losswatch.cli.bench;

import io.losswatch.bench.perf.PerfSupport;
import io.losswatch.monitor.MonitorConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Option;

/** The monitor settings the performance benchmarks compare: one copy of their options (a picocli mixin). */
final class MonitorBenchOptions {
    @Option(
            names = "--partitions",
            defaultValue = "4",
            description = "Partitions of the benchmark's topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
            names = "--processing-guarantee",
            defaultValue = StreamsConfig.EXACTLY_ONCE_V2,
            description = "The monitor's guarantee: exactly_once_v2 or at_least_once (default: ${DEFAULT-VALUE}).")
    String guarantee;

    @Option(
            names = "--commit-interval-ms",
            defaultValue = "100",
            description = "The monitor's commit interval; with exactly-once, alerts are readable after the next "
                    + "commit (default: ${DEFAULT-VALUE}, the production default).")
    long commitIntervalMs;

    @Option(
            names = "--kafka",
            description = "Extra Kafka Streams/client setting for the monitor, KEY=VALUE, "
                    + "repeatable (e.g. producer.batch.size=16384).")
    Map<String, String> kafka = new LinkedHashMap<>();

    @Option(
            names = "--live-state-mb",
            defaultValue = "0",
            description = "Heap for the monitor's live run states, as the monitor's option (default: "
                    + "${DEFAULT-VALUE}, a quarter of the heap).")
    long liveStateMb;

    /** What is wrong with these options, or null. */
    String problem() {
        if (partitions < 1) {
            return "--partitions must be positive.";
        }
        if (!guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2) && !guarantee.equals(StreamsConfig.AT_LEAST_ONCE)) {
            return "--processing-guarantee must be " + StreamsConfig.EXACTLY_ONCE_V2 + " or "
                    + StreamsConfig.AT_LEAST_ONCE + ", got " + guarantee + ".";
        }
        if (commitIntervalMs < 1) {
            return "--commit-interval-ms must be positive.";
        }
        if (liveStateMb < 0) {
            return "--live-state-mb cannot be negative.";
        }
        return null;
    }

    /** The monitor's configuration: {@code defaults} with these settings. */
    MonitorConfig apply(MonitorConfig defaults) {
        return PerfSupport.tuned(
                defaults.withKafka(kafka).withLiveStateBytes(liveStateMb << 20), guarantee, commitIntervalMs);
    }

    /** One line for the benchmark's header. */
    String describe() {
        return guarantee + ", commit interval " + commitIntervalMs + " ms"
                + (liveStateMb > 0 ? ", live states " + liveStateMb + " MB" : "")
                + (kafka.isEmpty() ? "" : ", " + kafka);
    }
}
