package io.losswatch.testsupport;

import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.EventJson;
import io.losswatch.events.InvalidEventException;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What a user's read_committed consumer sees on Losswatch's topics: the one reader every test uses to
 * look at alerts and steps, so that no test counts records of a transaction that was aborted.
 */
public final class Committed {
    private Committed() {}

    /** Parses one record's value; a record that is not the expected event fails the test. */
    @FunctionalInterface
    private interface Parser<T> {
        T parse(byte[] value) throws InvalidEventException;
    }

    private static KafkaConsumer<String, byte[]> consumer(String bootstrapServers) {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ConsumerConfig.GROUP_ID_CONFIG,
                        "test-reader-" + UUID.randomUUID(),
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                new ByteArrayDeserializer());
    }

    /** Polls once, adding the events of {@code runId} (every run's when null) to {@code out}. */
    private static <T> void poll(
            KafkaConsumer<String, byte[]> c, String runId, Parser<T> parser, List<T> out, Duration timeout) {
        for (ConsumerRecord<String, byte[]> r : c.poll(timeout)) {
            if (runId == null || runId.equals(r.key())) {
                try {
                    out.add(parser.parse(r.value()));
                } catch (InvalidEventException e) {
                    throw new AssertionError(
                            "topic " + r.topic() + " holds a record that is not the expected event: "
                                    + new String(r.value(), java.nio.charset.StandardCharsets.UTF_8),
                            e);
                }
            }
        }
    }

    /**
     * Every alert committed on {@code topic} so far. Reads to the last stable offset of each partition,
     * so it returns at once and never waits for a transaction that is still open.
     */
    public static List<AlertEvent> alerts(String bootstrapServers, String topic) {
        List<AlertEvent> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = consumer(bootstrapServers)) {
            toEnd(c, topic, () -> poll(c, null, EventJson::parseAlert, out, Duration.ofMillis(200)));
        }
        return out;
    }

    /**
     * Every record committed on {@code topic} so far, tombstones included, read to the last stable offset
     * of each partition: returns at once, however many records the topic holds.
     */
    public static List<ConsumerRecord<String, byte[]>> recordsSoFar(String bootstrapServers, String topic) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = consumer(bootstrapServers)) {
            toEnd(c, topic, () -> c.poll(Duration.ofMillis(200)).forEach(out::add));
        }
        return out;
    }

    /** Assigns every partition of {@code topic} from its start and runs {@code poll} until each is read to its end. */
    private static void toEnd(KafkaConsumer<String, byte[]> c, String topic, Runnable poll) {
        List<TopicPartition> tps = c.partitionsFor(topic).stream()
                .map(i -> new TopicPartition(topic, i.partition()))
                .toList();
        c.assign(tps);
        c.seekToBeginning(tps);
        Map<TopicPartition, Long> end = c.endOffsets(tps);
        while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
            poll.run();
        }
    }

    /** Every alert of {@code runId} on {@code training.alerts}, read until one matches {@code until}. */
    public static List<AlertEvent> awaitAlert(
            String bootstrapServers, String runId, Predicate<AlertEvent> until, Duration atMost) {
        return awaitEvents(
                bootstrapServers,
                Topics.ALERTS,
                runId,
                EventJson::parseAlert,
                "an alert of " + runId + " on " + Topics.ALERTS,
                atMost,
                l -> l.stream().anyMatch(until));
    }

    /** Every alert of {@code runId} on {@code training.alerts} that arrives within {@code during}. */
    public static List<AlertEvent> alertsDuring(String bootstrapServers, String runId, Duration during) {
        List<AlertEvent> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = consumer(bootstrapServers)) {
            c.subscribe(List.of(Topics.ALERTS));
            long end = System.nanoTime() + during.toNanos();
            while (System.nanoTime() < end) {
                poll(c, runId, EventJson::parseAlert, out, Duration.ofMillis(200));
            }
        }
        return out;
    }

    /**
     * Every alert of {@code runId} (every run's when null) on {@code training.alerts}, read until at least
     * one has arrived and then nothing new for {@code quiet}: duplicates would come right behind the first.
     */
    public static List<AlertEvent> alertsUntilQuiet(
            String bootstrapServers, String runId, Duration quiet, Duration atMost) {
        List<AlertEvent> out = new ArrayList<>();
        long[] lastNew = {System.nanoTime()};
        try (KafkaConsumer<String, byte[]> c = consumer(bootstrapServers)) {
            c.subscribe(List.of(Topics.ALERTS));
            await().alias("alerts of " + runId + " on " + Topics.ALERTS + ", then " + quiet.toMillis() + " ms of quiet")
                    .atMost(atMost)
                    .pollInterval(Duration.ZERO)
                    .until(() -> {
                        int before = out.size();
                        poll(c, runId, EventJson::parseAlert, out, Duration.ofMillis(200));
                        if (out.size() > before) {
                            lastNew[0] = System.nanoTime();
                        }
                        return !out.isEmpty() && System.nanoTime() - lastNew[0] >= quiet.toNanos();
                    });
        }
        return out;
    }

    /**
     * The raw records of {@code topic}, read_committed, until at least {@code atLeast} have arrived, and then
     * for {@code grace} longer: records that should not be there would come right behind.
     *
     * @param extra further consumer settings (security, fetch sizes), or an empty map
     */
    public static List<ConsumerRecord<byte[], byte[]>> records(
            String bootstrapServers,
            Map<String, Object> extra,
            String topic,
            int atLeast,
            Duration grace,
            Duration atMost) {
        return records(bootstrapServers, extra, topic, null, atLeast, grace, atMost);
    }

    /** The same, counting and returning only the records whose key is {@code key} (a run id). */
    public static List<ConsumerRecord<byte[], byte[]>> records(
            String bootstrapServers,
            Map<String, Object> extra,
            String topic,
            String key,
            int atLeast,
            Duration grace,
            Duration atMost) {
        byte[] wanted = key == null ? null : key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Map<String, Object> settings = new java.util.HashMap<>(extra);
        settings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        settings.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>(); // polled in this thread only
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            await().alias("at least " + atLeast + " records on " + topic)
                    .atMost(atMost)
                    .pollInSameThread()
                    .pollInterval(Duration.ZERO)
                    .until(() -> {
                        keep(c.poll(Duration.ofMillis(200)), wanted, out);
                        return out.size() >= atLeast;
                    });
            if (!grace.isZero()) {
                await().alias("records on " + topic + " that should not be there, for " + grace.toMillis() + " ms")
                        .during(grace)
                        .atMost(grace.plusSeconds(5))
                        .pollInSameThread()
                        .pollInterval(Duration.ZERO)
                        .until(() -> {
                            keep(c.poll(Duration.ofMillis(200)), wanted, out);
                            return true;
                        });
            }
        }
        return new ArrayList<>(out);
    }

    private static void keep(
            Iterable<ConsumerRecord<byte[], byte[]>> polled, byte[] key, List<ConsumerRecord<byte[], byte[]>> out) {
        for (ConsumerRecord<byte[], byte[]> r : polled) {
            if (key == null || java.util.Arrays.equals(key, r.key())) {
                out.add(r);
            }
        }
    }

    /** The step events of {@code runId} on {@code topic}, read until {@code count} have arrived. */
    public static List<StepEvent> awaitSteps(
            String bootstrapServers, String topic, String runId, int count, Duration atMost) {
        return awaitEvents(
                bootstrapServers,
                topic,
                runId,
                EventJson::parseStep,
                count + " step events of " + runId + " on " + topic,
                atMost,
                l -> l.size() >= count);
    }

    private static <T> List<T> awaitEvents(
            String bootstrapServers,
            String topic,
            String runId,
            Parser<T> parser,
            String what,
            Duration atMost,
            Predicate<List<T>> done) {
        List<T> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = consumer(bootstrapServers)) {
            c.subscribe(List.of(topic));
            await().alias(what).atMost(atMost).pollInterval(Duration.ZERO).until(() -> {
                poll(c, runId, parser, out, Duration.ofMillis(200));
                return done.test(out);
            });
        }
        return out;
    }
}
