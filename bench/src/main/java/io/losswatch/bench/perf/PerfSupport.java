package io.losswatch.bench.perf;

import io.losswatch.monitor.MonitorConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/** What the benchmark commands share: tuned configs and scratch directories ({@link Machine} prints the machine). */
public final class PerfSupport {
    private PerfSupport() {}

    /** The config with another processing guarantee and commit interval (the record has no withers for them). */
    public static MonitorConfig tuned(MonitorConfig c, String guarantee, long commitIntervalMs) {
        return new MonitorConfig(
                c.bootstrapServers(),
                c.applicationId(),
                c.metricsTopic(),
                c.alertsTopic(),
                c.dlqTopic(),
                c.stateDir(),
                guarantee,
                commitIntervalMs,
                c.streamThreads(),
                c.kafka(),
                c.detector(),
                c.runIdleTimeout(),
                c.stateRetention(),
                c.liveStateBytes());
    }

    public static Path scratch(String name) {
        try {
            return Files.createTempDirectory("losswatch-" + name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory: " + e.getMessage(), e);
        }
    }

    public static void delete(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: it is a temporary directory
        }
    }

    /** Assigns every partition of {@code topic} to the consumer, from the start: no group, no rebalance. */
    public static void fromStart(Consumer<?, ?> consumer, String topic) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    public static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f/s", perSecond);
    }
}
