package io.losswatch.events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

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
    public static void check(
            String bootstrapServers,
            Map<String, String> kafka,
            Map<String, Integer> create,
            Set<String> mustExist,
            int timeoutSeconds)
            throws StartupException {
        try (Admin admin = Admin.create(adminProperties(bootstrapServers, kafka, timeoutSeconds * 1000))) {
            int brokers;
            Set<String> existing;
            try {
                brokers = admin.describeCluster()
                        .nodes()
                        .get(timeoutSeconds, TimeUnit.SECONDS)
                        .size();
                existing = admin.listTopics().names().get(timeoutSeconds, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new StartupException(unreachable(bootstrapServers, timeoutSeconds, kafka));
            }
            for (String t : mustExist) {
                if (!existing.contains(t)) {
                    throw new StartupException("Topic '" + t + "' does not exist on " + bootstrapServers
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
                throw new StartupException(unreachable(bootstrapServers, timeoutSeconds, kafka));
            }
            if (c instanceof AuthenticationException) {
                throw new StartupException(refused(bootstrapServers, c));
            }
            if (c instanceof AuthorizationException) {
                throw new StartupException(denied(bootstrapServers, c, "its topics and group"));
            }
            throw new StartupException("Kafka at " + bootstrapServers + " answered with an error: " + c.getMessage());
        } catch (TimeoutException e) {
            throw new StartupException("Kafka at " + bootstrapServers + " did not answer within " + timeoutSeconds
                    + " s while creating topics; check the broker's health.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("Interrupted while contacting Kafka at " + bootstrapServers + ".");
        } catch (KafkaException e) {
            throw new StartupException(badSettings(bootstrapServers, e));
        }
    }

    /** One sentence: the broker did not answer. */
    static String unreachable(String bootstrapServers, long timeoutSeconds, Map<String, String> kafka) {
        return "Cannot reach Kafka at " + bootstrapServers + " within " + timeoutSeconds
                + " s: start a broker (./losswatch broker) or pass --bootstrap-servers HOST:PORT"
                + KafkaClientSettings.securityHint(kafka) + ".";
    }

    /** One sentence: the broker answered and refused the credentials. */
    static String refused(String bootstrapServers, Throwable cause) {
        return "Kafka at " + bootstrapServers + " refused our credentials (" + cause.getMessage()
                + "): check the sasl.* / ssl.* settings passed with --kafka or LOSSWATCH_KAFKA_*.";
    }

    /** One sentence: the broker answered and denied access to {@code what}. */
    static String denied(String bootstrapServers, Throwable cause, String what) {
        return "Kafka at " + bootstrapServers + " denied access (" + cause.getMessage()
                + "): grant this client's principal access to the cluster and to " + what + ".";
    }

    /** One sentence: the client could not even be made from the settings given. */
    static String badSettings(String bootstrapServers, Exception e) {
        return "Cannot use the Kafka settings for " + bootstrapServers + " (" + rootMessage(e)
                + "): check --bootstrap-servers and --kafka.";
    }

    /**
     * Before a producer starts: asks the cluster for its nodes and the topic, since a producer would
     * instead wait silently for metadata and then fail every event.
     *
     * @return one sentence saying what is wrong and what to do, or null when all is well
     */
    public static String producerProblem(
            String bootstrapServers, String topic, Map<String, String> kafka, Duration timeout) {
        Properties p = adminProperties(bootstrapServers, kafka, (int) timeout.toMillis());
        String unreachable = unreachable(bootstrapServers, timeout.toSeconds(), kafka);
        Admin admin;
        try {
            admin = Admin.create(p);
        } catch (KafkaException | IllegalArgumentException e) {
            return badSettings(bootstrapServers, e);
        }
        try {
            Collection<Node> nodes = admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (topicMissing(admin, topic, timeout) && !autoCreatesTopics(admin, nodes, timeout)) {
                return "Topic " + topic + " does not exist at " + bootstrapServers
                        + ": start the monitor first (it creates its topics), create the topic, or pass --topic.";
            }
            return null;
        } catch (ExecutionException e) {
            // the broker answered, and said no: telling the user it is unreachable would send them looking elsewhere
            if (e.getCause() instanceof AuthenticationException) {
                return refused(bootstrapServers, e.getCause());
            }
            if (e.getCause() instanceof AuthorizationException) {
                return denied(bootstrapServers, e.getCause(), topic);
            }
            return unreachable;
        } catch (TimeoutException e) {
            return unreachable;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unreachable;
        } finally {
            admin.close(Duration.ofMillis(500));
        }
    }

    /** True only when the broker says so; anything else (no permission to look, say) lets the run go on. */
    private static boolean topicMissing(Admin admin, String topic, Duration timeout)
            throws InterruptedException, TimeoutException {
        try {
            admin.describeTopics(List.of(topic)).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return false;
        } catch (ExecutionException e) {
            return e.getCause() instanceof UnknownTopicOrPartitionException;
        }
    }

    private static boolean autoCreatesTopics(Admin admin, Collection<Node> nodes, Duration timeout)
            throws InterruptedException, TimeoutException {
        if (nodes.isEmpty()) {
            return false;
        }
        ConfigResource broker = new ConfigResource(
                ConfigResource.Type.BROKER, nodes.iterator().next().idString());
        try {
            Config config = admin.describeConfigs(List.of(broker))
                    .all()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .get(broker);
            ConfigEntry entry = config == null ? null : config.get("auto.create.topics.enable");
            return entry != null && "true".equalsIgnoreCase(entry.value());
        } catch (ExecutionException e) {
            return true; // cannot tell: let the producer find out
        }
    }

    public static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
}
