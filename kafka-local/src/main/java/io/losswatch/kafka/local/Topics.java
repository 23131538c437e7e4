package io.losswatch.kafka.local;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

/** Idempotent topic creation shared by the in-process broker and the Testcontainers one. */
public final class Topics {

    private Topics() {}

    /**
     * Creates the topics that do not exist yet and returns once every partition of every one
     * has a leader, so a producer that starts right after does not race the metadata.
     */
    public static void create(Admin admin, Map<String, Integer> partitionsByTopic, Duration timeout) {
        if (partitionsByTopic.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<NewTopic> topics = partitionsByTopic.entrySet().stream()
                .map(e -> new NewTopic(e.getKey(), e.getValue(), (short) 1))
                .toList();
        admin.createTopics(topics).values().forEach((name, future) -> {
            try {
                future.get(remaining(deadline), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException(
                            "cannot create topic " + name + ": " + e.getCause().getMessage(), e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topic " + name, e);
            } catch (TimeoutException e) {
                throw new IllegalStateException(
                        "creating topic " + name + " took longer than " + timeout.toSeconds() + " s", e);
            }
        });
        awaitLeaders(admin, partitionsByTopic, deadline, timeout);
    }

    private static void awaitLeaders(
            Admin admin, Map<String, Integer> partitionsByTopic, long deadline, Duration timeout) {
        while (true) {
            try {
                Map<String, TopicDescription> descriptions = admin.describeTopics(partitionsByTopic.keySet())
                        .allTopicNames()
                        .get(remaining(deadline), TimeUnit.NANOSECONDS);
                boolean ready = descriptions.values().stream()
                        .flatMap(d -> d.partitions().stream())
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
                if (ready) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(
                        "interrupted while waiting for topics " + partitionsByTopic.keySet(), e);
            } catch (ExecutionException | TimeoutException e) {
                // metadata not there yet: ask again until the deadline
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "topics " + partitionsByTopic.keySet() + " had no leader after " + timeout.toSeconds() + " s");
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    private static long remaining(long deadline) {
        return Math.max(1, deadline - System.nanoTime());
    }
}
