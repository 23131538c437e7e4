package io.losswatch.monitor;

import io.losswatch.events.KafkaClientSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Checks, before the Streams client starts, what would otherwise fail later and obscurely: that the
 * broker answers, and that the topics exist (creating them when asked).
 */
public final class KafkaPreflight {
    private KafkaPreflight() {}

    public static Properties adminProperties(String bootstrapServers, Map<String, String> kafka, int timeoutMs) {
        Properties p = new Properties();
        p.putAll(kafka);
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, KafkaClientSettings.PREFLIGHT_CLIENT_ID);
        return p;
    }

    /**
     * @param create topics to create when missing, with their partition count; others must exist
     */
    public static void check(String bootstrapServers, Map<String, String> kafka, Map<String, Integer> create,
            Set<String> mustExist, int timeoutSeconds) throws MonitorStartupException {
        try (Admin admin = Admin.create(adminProperties(bootstrapServers, kafka, timeoutSeconds * 1000))) {
            int brokers;
            Set<String> existing;
            try {
                brokers = admin.describeCluster().nodes().get(timeoutSeconds, TimeUnit.SECONDS).size();
                existing = admin.listTopics().names().get(timeoutSeconds, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new MonitorStartupException("Cannot reach Kafka at " + bootstrapServers + " within "
                        + timeoutSeconds + " s: start the broker (./losswatch broker) or fix --bootstrap-servers"
                        + KafkaClientSettings.securityHint(kafka) + ".");
            }
            for (String t : mustExist) {
                if (!existing.contains(t)) {
                    throw new MonitorStartupException("Topic '" + t + "' does not exist on " + bootstrapServers
                            + ": create it, or let the monitor create it (drop --no-create-topics).");
                }
            }
            short rf = (short) Math.min(3, Math.max(1, brokers));
            List<NewTopic> missing = new ArrayList<>();
            create.forEach((t, partitions) -> {
                if (!existing.contains(t)) {
                    missing.add(new NewTopic(t, partitions, rf));
                }
            });
            if (!missing.isEmpty()) {
                for (var f : admin.createTopics(missing).values().values()) {
                    try {
                        f.get(timeoutSeconds, TimeUnit.SECONDS);
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) {
                            throw e;
                        }
                    }
                }
            }
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw new MonitorStartupException("Cannot reach Kafka at " + bootstrapServers + " within "
                        + timeoutSeconds + " s: start the broker (./losswatch broker) or fix --bootstrap-servers"
                        + KafkaClientSettings.securityHint(kafka) + ".");
            }
            if (c instanceof AuthenticationException) {
                throw new MonitorStartupException("Kafka at " + bootstrapServers + " refused our credentials ("
                        + c.getMessage() + "): check the --kafka sasl.* / ssl.* settings.");
            }
            if (c instanceof AuthorizationException) {
                throw new MonitorStartupException("Kafka at " + bootstrapServers + " denied access ("
                        + c.getMessage() + "): grant the monitor's principal access to its topics and group.");
            }
            throw new MonitorStartupException("Kafka at " + bootstrapServers + " answered with an error: "
                    + c.getMessage());
        } catch (TimeoutException e) {
            throw new MonitorStartupException("Kafka at " + bootstrapServers + " did not answer within "
                    + timeoutSeconds + " s while creating topics; check the broker's health.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MonitorStartupException("Interrupted while contacting Kafka at " + bootstrapServers + ".");
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new MonitorStartupException("Cannot use the Kafka settings given: " + e.getMessage()
                    + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : ""));
        }
    }
}
