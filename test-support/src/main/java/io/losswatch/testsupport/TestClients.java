package io.losswatch.testsupport;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Plain Kafka clients for the tests: what a trainer and the monitor do, without their code. */
final class TestClients {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private TestClients() {}

    static KafkaProducer<String, String> producer(String bootstrapServers, Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                true,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class));
        config.putAll(extra);
        return new KafkaProducer<>(config);
    }

    static KafkaConsumer<String, String> consumer(String bootstrapServers, Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                StringDeserializer.class));
        config.putAll(extra);
        return new KafkaConsumer<>(config);
    }

    /** Sends the values with an idempotent producer, keyed by a run id, and waits for the acks. */
    static void produce(String bootstrapServers, String topic, List<String> values) {
        try (KafkaProducer<String, String> producer = producer(bootstrapServers, Map.of())) {
            for (String value : values) {
                producer.send(new ProducerRecord<>(topic, "run-1", value)).get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("send to " + topic + " failed", e.getCause());
        }
    }

    /** Reads the topic from the start, without a consumer group, until {@code expected} values have come. */
    static List<String> consume(String bootstrapServers, String topic, int expected, String isolationLevel) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                consumer(bootstrapServers, Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().alias(expected + " records arrive on " + topic).atMost(WAIT).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                return values.size() >= expected;
            });
            // anything beyond what was expected would show up here
            consumer.poll(Duration.ofMillis(300)).forEach(r -> values.add(r.value()));
        }
        return values;
    }

    /**
     * Consume-transform-produce in transactions, as Kafka Streams {@code exactly_once_v2} does:
     * reads {@code count} records from {@code input} in a consumer group and writes each value
     * upper-cased to {@code output} with the consumed offsets in the same transaction.
     */
    static void copyUpperCaseExactlyOnce(String bootstrapServers, String input, String output, int count) {
        String group = "copy-" + UUID.randomUUID();
        try (KafkaConsumer<String, String> consumer = consumer(
                        bootstrapServers,
                        Map.of(
                                ConsumerConfig.GROUP_ID_CONFIG,
                                group,
                                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                                "read_committed"));
                KafkaProducer<String, String> producer =
                        producer(bootstrapServers, Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, group + "-tx"))) {
            producer.initTransactions();
            consumer.subscribe(List.of(input));
            int[] copied = {0};
            await().alias(count + " records copied from " + input + " to " + output)
                    .atMost(WAIT)
                    .until(() -> {
                        var records = consumer.poll(Duration.ofMillis(200));
                        if (!records.isEmpty()) {
                            producer.beginTransaction();
                            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                            for (ConsumerRecord<String, String> r : records) {
                                producer.send(new ProducerRecord<>(
                                        output, r.key(), r.value().toUpperCase()));
                                offsets.put(
                                        new TopicPartition(r.topic(), r.partition()),
                                        new OffsetAndMetadata(r.offset() + 1));
                            }
                            producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                            producer.commitTransaction();
                            copied[0] += records.count();
                        }
                        return copied[0] >= count;
                    });
        }
    }

    /** One admin request with these security settings; throws what the broker answered when it refuses them. */
    static void describeCluster(String bootstrapServers, Map<String, String> security) throws Exception {
        Map<String, Object> c = new HashMap<>(security);
        c.put("bootstrap.servers", bootstrapServers);
        try (Admin admin = Admin.create(c)) {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(5_000))
                    .nodes()
                    .get();
        }
    }
}
