package io.losswatch.bench.perf;

import io.losswatch.monitor.MonitorConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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

    /**
     * CPU time so far, in nanoseconds, of the live threads whose names start with {@code prefix} (a
     * Kafka Streams application's threads start with its application id): what they cost whatever else
     * the machine runs, unlike a rate. Threads that ended are not counted.
     */
    public static long threadsCpuNanos(String prefix) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(prefix)) {
                long ns = mx.getThreadCpuTime(t.getId());
                sum += Math.max(0, ns); // -1: ended meanwhile
            }
        }
        return sum;
    }

    /** CPU time so far of the calling thread, in nanoseconds. */
    public static long currentThreadCpuNanos() {
        return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    public static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f/s", perSecond);
    }
}
