package io.losswatch.monitor;

import io.losswatch.detector.DetectorConfig;
import io.losswatch.events.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings of one monitor instance.
 *
 * @param kafka extra Kafka client settings passed through as they are (TLS, SASL, tuning)
 * @param runIdleTimeout per-run series are removed after this long without a step
 * @param stateRetention a run's detection state is deleted after this long without a step
 * @param liveStateBytes heap for the run states kept live, over all of the instance's tasks, 0 for a
 *     quarter of the JVM's maximum heap; runs past it are written out and read back from the store at
 *     their next step
 */
public record MonitorConfig(
        String bootstrapServers,
        String applicationId,
        String metricsTopic,
        String alertsTopic,
        String dlqTopic,
        Path stateDir,
        String processingGuarantee,
        long commitIntervalMs,
        int streamThreads,
        Map<String, String> kafka,
        DetectorConfig detector,
        Duration runIdleTimeout,
        Duration stateRetention,
        long liveStateBytes) {

    public static final String DEFAULT_APPLICATION_ID = "losswatch-monitor";
    /** A quarter of the JVM's maximum heap. */
    public static final long DEFAULT_LIVE_STATE_BYTES = 0;

    public MonitorConfig {
        if (liveStateBytes < 0) {
            throw new IllegalArgumentException(
                    "the heap for live run states cannot be negative, got " + liveStateBytes);
        }
    }

    /** The heap for live run states, the default resolved against this JVM. */
    public long liveStateBytesResolved() {
        return liveStateBytes > 0 ? liveStateBytes : Runtime.getRuntime().maxMemory() / 4;
    }

    public static MonitorConfig defaults(String bootstrapServers) {
        return new MonitorConfig(
                bootstrapServers,
                DEFAULT_APPLICATION_ID,
                Topics.METRICS,
                Topics.ALERTS,
                Topics.DLQ,
                Path.of(System.getProperty("java.io.tmpdir"), "losswatch-streams"),
                StreamsConfig.EXACTLY_ONCE_V2,
                100,
                1,
                Map.of(),
                DetectorConfig.defaults(),
                Duration.ofMinutes(30),
                Duration.ofDays(7),
                DEFAULT_LIVE_STATE_BYTES);
    }

    public MonitorConfig withStateDir(Path dir) {
        return new MonitorConfig(
                bootstrapServers,
                applicationId,
                metricsTopic,
                alertsTopic,
                dlqTopic,
                dir,
                processingGuarantee,
                commitIntervalMs,
                streamThreads,
                kafka,
                detector,
                runIdleTimeout,
                stateRetention,
                liveStateBytes);
    }

    public MonitorConfig withApplicationId(String id) {
        return new MonitorConfig(
                bootstrapServers,
                id,
                metricsTopic,
                alertsTopic,
                dlqTopic,
                stateDir,
                processingGuarantee,
                commitIntervalMs,
                streamThreads,
                kafka,
                detector,
                runIdleTimeout,
                stateRetention,
                liveStateBytes);
    }

    public MonitorConfig withTopics(String metrics, String alerts, String dlq) {
        return new MonitorConfig(
                bootstrapServers,
                applicationId,
                metrics,
                alerts,
                dlq,
                stateDir,
                processingGuarantee,
                commitIntervalMs,
                streamThreads,
                kafka,
                detector,
                runIdleTimeout,
                stateRetention,
                liveStateBytes);
    }

    public MonitorConfig withDetector(DetectorConfig d) {
        return new MonitorConfig(
                bootstrapServers,
                applicationId,
                metricsTopic,
                alertsTopic,
                dlqTopic,
                stateDir,
                processingGuarantee,
                commitIntervalMs,
                streamThreads,
                kafka,
                d,
                runIdleTimeout,
                stateRetention,
                liveStateBytes);
    }

    public MonitorConfig withLiveStateBytes(long bytes) {
        return new MonitorConfig(
                bootstrapServers,
                applicationId,
                metricsTopic,
                alertsTopic,
                dlqTopic,
                stateDir,
                processingGuarantee,
                commitIntervalMs,
                streamThreads,
                kafka,
                detector,
                runIdleTimeout,
                stateRetention,
                bytes);
    }

    public MonitorConfig withKafka(Map<String, String> k) {
        return new MonitorConfig(
                bootstrapServers,
                applicationId,
                metricsTopic,
                alertsTopic,
                dlqTopic,
                stateDir,
                processingGuarantee,
                commitIntervalMs,
                streamThreads,
                Map.copyOf(k),
                detector,
                runIdleTimeout,
                stateRetention,
                liveStateBytes);
    }

    /** The Kafka Streams configuration; production and tests both use this. */
    public Properties streamsProperties() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // a producer that cannot reach the broker retries rather than failing the task
        p.put(StreamsConfig.producerPrefix(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG), 120_000);
        // Each commit writes every changed run's state (about 2.5 KB) to the changelog and waits until the
        // broker has it. A producer request carries at most one batch per partition, so with Kafka's 16 KB
        // batches a commit of 1,000 runs took dozens of round trips; 256 KB batches take a few. Measured with
        // bench throughput: 21.7k events/s with 16 KB, 58.8k with 256 KB, 55.1k with 1 MB. Larger batches take
        // more of the producer's 32 MB buffer for every partition with an open batch. A batch.size the user
        // gives, with or without the producer. prefix, wins (the prefixed key would override the plain one).
        if (!kafka.containsKey(ProducerConfig.BATCH_SIZE_CONFIG)
                && !kafka.containsKey(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG))) {
            p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 256 * 1024);
        }
        // A task reads one partition of one topic, so there is nothing to wait for before processing a record
        // (task idling orders records of several inputs by time). Left at its default, Kafka Streams still
        // checks every record for it and builds two sets and a log line to do so: 8% of the monitor's allocation.
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        p.putAll(kafka);
        return p;
    }
}
