package io.losswatch.client;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.EventJson;
import io.losswatch.events.InvalidEventException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Follows {@code training.alerts} for one run on a thread of its own and queues that run's alerts for
 * the training loop, which takes them between steps. Reads committed records only (the monitor writes
 * exactly-once) and starts at the end of the topic: alerts of an earlier run with the same id are not
 * this run's business. No consumer group: every partition is assigned, nothing is committed.
 */
public final class AlertFollower implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final String runId;
    private final BlockingQueue<AlertEvent> alerts = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean ready;

    public AlertFollower(String bootstrapServers, String alertsTopic, Map<String, String> kafkaProps, String runId) {
        Properties p = new Properties();
        p.putAll(kafkaProps);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "losswatch-trainer-alerts-" + UUID.randomUUID());
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.runId = runId;
        List<TopicPartition> partitions = consumer.partitionsFor(alertsTopic, Duration.ofSeconds(10)).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition()))
                .toList();
        if (partitions.isEmpty()) {
            consumer.close();
            throw new IllegalStateException("topic " + alertsTopic + " does not exist: start the monitor first");
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve "end" now, before training starts
        this.thread = new Thread(this::loop, "losswatch-alert-follower");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void loop() {
        try {
            while (!closed) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (!runId.equals(r.key())) {
                        continue;
                    }
                    try {
                        AlertEvent a = EventJson.parseAlert(r.value());
                        if (runId.equals(a.runId())) {
                            alerts.add(a);
                        }
                    } catch (InvalidEventException e) {
                        // not an alert we can read; the monitor never writes one
                    }
                }
                ready = true;
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(1));
        }
    }

    /** True once the follower has polled at least once. */
    public boolean ready() {
        return ready;
    }

    /** Where the run's alerts arrive. */
    public BlockingQueue<AlertEvent> queue() {
        return alerts;
    }

    /** The next alert of the run, or null. */
    public AlertEvent poll() {
        return alerts.poll();
    }

    /** Waits up to {@code timeout} for the next alert of the run; null when none came. */
    public AlertEvent poll(Duration timeout) throws InterruptedException {
        return alerts.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            thread.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
