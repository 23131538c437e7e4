package io.losswatch.cli.plot;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.EventJson;
import io.losswatch.events.InvalidEventException;
import io.losswatch.events.StepEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One run's step events and alerts, read from the topics from the beginning up to their current end.
 * Records are keyed by run id, so only the key is compared before parsing; unreadable records are
 * skipped (the monitor already sent them to the dead-letter topic). A repeated step keeps its first value,
 * as the monitor does.
 */
public record RunHistory(String runId, List<StepEvent> steps, List<AlertEvent> alerts) {

    public static RunHistory read(
            String bootstrapServers,
            Map<String, String> kafka,
            String metricsTopic,
            String alertsTopic,
            String runId,
            Duration timeout) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "losswatch-plot-" + UUID.randomUUID());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        Map<Long, StepEvent> steps = new TreeMap<>();
        List<AlertEvent> alerts = new ArrayList<>();
        byte[] key = runId.getBytes(StandardCharsets.UTF_8);
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String topic : List.of(metricsTopic, alertsTopic)) {
                List<PartitionInfo> infos = c.partitionsFor(topic, timeout);
                if (infos != null) {
                    infos.forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
                }
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(parts, timeout));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!end.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.key() == null || !java.util.Arrays.equals(key, r.key()) || r.value() == null) {
                        continue;
                    }
                    try {
                        if (r.topic().equals(metricsTopic)) {
                            StepEvent e = EventJson.parseStep(r.value());
                            if (e.runId().equals(runId)) {
                                steps.putIfAbsent(e.step(), e);
                            }
                        } else {
                            AlertEvent a = EventJson.parseAlert(r.value());
                            if (a.runId().equals(runId)) {
                                alerts.add(a);
                            }
                        }
                    } catch (InvalidEventException e) {
                        // not ours to judge here: the monitor counted it and sent it to the DLQ
                    }
                }
                end.entrySet().removeIf(en -> c.position(en.getKey()) >= en.getValue());
            }
        }
        alerts.sort(Comparator.comparingLong(AlertEvent::step));
        return new RunHistory(runId, List.copyOf(steps.values()), List.copyOf(alerts));
    }
}
