package io.losswatch.trainer;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.EventJson;
import io.losswatch.events.Topics;

/** Test helper: waits for alerts of one run on {@code training.alerts}, read as a user would (read_committed). */
final class AlertsRead {

    private AlertsRead() {
    }

    /** Every alert of {@code runId} read until one matches {@code until}, or the wait fails. */
    static List<AlertEvent> awaitAlert(String bootstrapServers, String runId, Predicate<AlertEvent> until, Duration atMost) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "alerts-read-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<AlertEvent> alerts = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.ALERTS));
            await().alias("an alert of " + runId + " on " + Topics.ALERTS)
                    .atMost(atMost).pollInterval(Duration.ZERO)
                    .until(() -> {
                        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                            if (runId.equals(r.key())) {
                                alerts.add(EventJson.parseAlert(r.value()));
                            }
                        }
                        return alerts.stream().anyMatch(until);
                    });
        }
        return alerts;
    }

    /** Every alert of {@code runId} that arrives within {@code during}. */
    static List<AlertEvent> allAlerts(String bootstrapServers, String runId, Duration during) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "alerts-read-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<AlertEvent> alerts = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.ALERTS));
            long end = System.nanoTime() + during.toNanos();
            while (System.nanoTime() < end) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (runId.equals(r.key())) {
                        try {
                            alerts.add(EventJson.parseAlert(r.value()));
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    }
                }
            }
        }
        return alerts;
    }
}
