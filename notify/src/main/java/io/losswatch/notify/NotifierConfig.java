package io.losswatch.notify;

import io.losswatch.events.Topics;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * Settings of the alert delivery component.
 *
 * @param kafka extra Kafka client settings passed through (TLS, SASL)
 * @param groupPrefix each target consumes with its own group, {@code groupPrefix + "." + target name}
 * @param timeout connect and response timeout of one attempt
 * @param backfill on a target's very first start (no position stored yet), alerts decided within this
 *                 long before start are delivered and older ones skipped, so a new target is not
 *                 flooded with the topic's history
 * @param grafana dashboard URL for links to a run, or null
 */
public record NotifierConfig(
        String bootstrapServers,
        Map<String, String> kafka,
        String alertsTopic,
        String groupPrefix,
        List<WebhookTarget> targets,
        Duration timeout,
        Backoff backoff,
        Duration backfill,
        URI grafana) {

    public static final String DEFAULT_GROUP_PREFIX = "losswatch-notify";

    public NotifierConfig {
        kafka = Map.copyOf(kafka);
        targets = List.copyOf(targets);
        Set<String> names = new HashSet<>();
        for (WebhookTarget t : targets) {
            if (!names.add(t.groupSuffix())) {
                throw new IllegalArgumentException(
                        t.named()
                                ? "Two webhooks are named '" + t.name() + "': give each its own name."
                                : "Two webhooks go to " + t.name()
                                        + " without a name: give each one with --webhook-name "
                                        + "(or name: in the config file), so each keeps its own delivery position.");
            }
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("--webhook-timeout must be positive.");
        }
    }

    public static NotifierConfig of(String bootstrapServers, List<WebhookTarget> targets) {
        return new NotifierConfig(
                bootstrapServers,
                Map.of(),
                Topics.ALERTS,
                DEFAULT_GROUP_PREFIX,
                targets,
                Duration.ofSeconds(10),
                Backoff.defaults(),
                Duration.ofHours(1),
                null);
    }

    public NotifierConfig withBackoff(Backoff b) {
        return new NotifierConfig(
                bootstrapServers, kafka, alertsTopic, groupPrefix, targets, timeout, b, backfill, grafana);
    }

    public NotifierConfig withTimeout(Duration t) {
        return new NotifierConfig(
                bootstrapServers, kafka, alertsTopic, groupPrefix, targets, t, backoff, backfill, grafana);
    }

    public NotifierConfig withTopic(String topic) {
        return new NotifierConfig(
                bootstrapServers, kafka, topic, groupPrefix, targets, timeout, backoff, backfill, grafana);
    }

    public NotifierConfig withGroupPrefix(String prefix) {
        return new NotifierConfig(
                bootstrapServers, kafka, alertsTopic, prefix, targets, timeout, backoff, backfill, grafana);
    }

    public NotifierConfig withGrafana(URI dashboard) {
        return new NotifierConfig(
                bootstrapServers, kafka, alertsTopic, groupPrefix, targets, timeout, backoff, backfill, dashboard);
    }

    public String groupId(WebhookTarget t) {
        return groupPrefix + "." + t.groupSuffix();
    }

    /** The consumer of one target: its own group, committed records only, offsets committed by hand. */
    public Properties consumerProperties(WebhookTarget t) {
        Properties p = new Properties();
        // alerts are few and wanted at once: ask often rather than let the broker hold a fetch for 500 ms
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
        p.putAll(kafka);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId(t));
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, groupId(t));
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return p;
    }

    /** The group-less reader of {@link FiringIndex}. */
    public Properties indexProperties() {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, groupPrefix + "-index");
        return p;
    }
}
