package io.losswatch.notify;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.EventJson;
import io.losswatch.events.InvalidEventException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The firing events seen, by {@code alert_id}, so that a {@code resolved} event can be shown with the
 * labels its firing had. Filled at start from the alerts topic (alerts are few, so reading it is
 * quick) and then by the delivery workers, so it also holds after a restart. Bounded: the oldest
 * entries go first.
 */
public final class FiringIndex {
    private static final Logger LOG = LoggerFactory.getLogger(FiringIndex.class);
    static final int MAX_ENTRIES = 100_000;

    private final Map<String, AlertEvent> firings =
            Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, false) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, AlertEvent> eldest) {
                    return size() > MAX_ENTRIES;
                }
            });

    /**
     * Incidents, decided in the order a run's alerts are on the topic (one partition per run), so that
     * every worker and every restart that reads the same events agrees: an incident opens with a
     * run's first firing alert, takes every alert that fires while it is open, and closes when all of
     * them have resolved. Its id is the {@code alert_id} of the alert that opened it.
     */
    private final Map<String, String> incidentOf = bounded();

    private final Map<String, Set<String>> openByRun = new HashMap<>();
    /** Incident id to the {@code alert_id} whose resolution closed it. */
    private final Map<String, String> closedBy = bounded();

    private static <V> Map<String, V> bounded() {
        return new LinkedHashMap<>(1024, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > MAX_ENTRIES;
            }
        };
    }

    /** Takes an alert event as read from the topic; seeing the same event again changes nothing. */
    public void remember(AlertEvent a) {
        if (a == null || a.alertId() == null || a.runId() == null || a.status() == null) {
            return;
        }
        if (a.status() == AlertStatus.FIRING) {
            firings.put(a.alertId(), a);
        }
        synchronized (openByRun) {
            if (a.status() == AlertStatus.FIRING) {
                if (!incidentOf.containsKey(a.alertId())) {
                    Set<String> open = openByRun.computeIfAbsent(a.runId(), r -> new LinkedHashSet<>());
                    String incident = open.isEmpty() ? a.alertId() : incidentOf.getOrDefault(first(open), a.alertId());
                    open.add(a.alertId());
                    incidentOf.put(a.alertId(), incident);
                }
            } else {
                Set<String> open = openByRun.get(a.runId());
                if (open != null && open.remove(a.alertId()) && open.isEmpty()) {
                    openByRun.remove(a.runId());
                    closedBy.put(incidentOf.getOrDefault(a.alertId(), a.alertId()), a.alertId());
                }
            }
        }
    }

    private static String first(Set<String> s) {
        return s.iterator().next();
    }

    /** The incident an alert belongs to: the {@code alert_id} that opened it (its own when unknown). */
    public String incidentOf(AlertEvent a) {
        synchronized (openByRun) {
            return incidentOf.getOrDefault(a.alertId(), a.alertId());
        }
    }

    /** True when this resolved event ended its incident: the last of the incident's alerts to clear. */
    public boolean closesIncident(AlertEvent resolved) {
        synchronized (openByRun) {
            String incident = incidentOf.getOrDefault(resolved.alertId(), resolved.alertId());
            String closer = closedBy.get(incident);
            return closer == null ? !incidentOf.containsKey(resolved.alertId()) : closer.equals(resolved.alertId());
        }
    }

    /** The firing with the same alert id, or null. */
    public AlertEvent firingOf(AlertEvent a) {
        return a == null || a.alertId() == null ? null : firings.get(a.alertId());
    }

    public int size() {
        return firings.size();
    }

    /**
     * Reads the alerts topic from its beginning to its current end (committed records only), without a
     * consumer group. Gives up quietly after {@code timeout}: the index is a help, not a must.
     */
    public void load(Properties consumerProperties, String topic, Duration timeout) {
        Properties p = new Properties();
        p.putAll(consumerProperties);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        long deadline = System.nanoTime() + timeout.toNanos();
        int read = 0;
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = c.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                return;
            }
            List<TopicPartition> parts = new ArrayList<>();
            infos.forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(parts, timeout));
            while (System.nanoTime() < deadline) {
                end.entrySet().removeIf(en -> c.position(en.getKey(), timeout) >= en.getValue());
                if (end.isEmpty()) {
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    read++;
                    try {
                        remember(EventJson.parseAlert(r.value()));
                    } catch (InvalidEventException e) {
                        // the delivery worker reports bad records; here they are just not indexed
                    }
                }
            }
            if (!end.isEmpty()) {
                LOG.warn(
                        "Read only part of {} within {} s; resolved alerts of older firings may reach "
                                + "Alertmanager without their firing's labels.",
                        topic,
                        timeout.toSeconds());
            }
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            LOG.warn(
                    "Could not read {} within {} s to index firing alerts ({}); going on without.",
                    topic,
                    timeout.toSeconds(),
                    e.getMessage());
        }
        LOG.debug("Indexed {} firing alerts from {} records of {}", size(), read, topic);
    }
}
