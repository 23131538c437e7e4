package io.losswatch.testsupport;

import static io.losswatch.testsupport.TestClients.consume;
import static io.losswatch.testsupport.TestClients.produce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.losswatch.kafka.local.Directories;
import io.losswatch.kafka.local.EmbeddedKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaIT {

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start(EmbeddedKafka.Config.defaults());
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void shouldProduceAndConsumeRecordsThroughTheBroker() {
        kafka.createTopic("training.metrics", 3);

        produce(kafka.bootstrapServers(), "training.metrics", List.of("step-0", "step-1", "step-2"));

        assertThat(consume(kafka.bootstrapServers(), "training.metrics", 3, "read_uncommitted"))
                .containsExactly("step-0", "step-1", "step-2");
        assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + kafka.port());
    }

    @Test
    void shouldTreatCreatingAnExistingTopicAsDone() throws Exception {
        kafka.createTopics(Map.of("twice", 2, "once", 1));
        kafka.createTopic("twice", 5);

        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            assertThat(admin.describeTopics(List.of("twice"))
                            .allTopicNames()
                            .get()
                            .get("twice")
                            .partitions())
                    .hasSize(2);
        }
    }

    @Test
    void shouldShowReadCommittedConsumersOnlyCommittedTransactions() {
        kafka.createTopics(Map.of("tx.in", 1, "tx.out", 1));
        produce(kafka.bootstrapServers(), "tx.in", List.of("a", "b"));
        try (KafkaProducer<String, String> producer = TestClients.producer(
                kafka.bootstrapServers(), Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-writer"))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx.in", "run-1", "aborted"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx.in", "run-1", "c"));
            producer.commitTransaction();
        }

        TestClients.copyUpperCaseExactlyOnce(kafka.bootstrapServers(), "tx.in", "tx.out", 3);

        assertThat(consume(kafka.bootstrapServers(), "tx.in", 3, "read_committed"))
                .containsExactly("a", "b", "c");
        assertThat(consume(kafka.bootstrapServers(), "tx.in", 4, "read_uncommitted"))
                .contains("aborted");
        assertThat(consume(kafka.bootstrapServers(), "tx.out", 3, "read_committed"))
                .containsExactly("A", "B", "C");
    }

    @Test
    void shouldKeepTopicsAndRecordsWhenRestartedOnTheSameDataDirAndPort() throws Exception {
        Path dir = Files.createTempDirectory(createdBase(), "restart-");
        try {
            EmbeddedKafka.Config config = EmbeddedKafka.Config.defaults().withDataDir(dir);
            int port;
            try (EmbeddedKafka first = EmbeddedKafka.start(config)) {
                port = first.port();
                first.createTopic("kept", 2);
                produce(first.bootstrapServers(), "kept", List.of("before-restart"));
            }

            try (EmbeddedKafka second = EmbeddedKafka.start(config.withPort(port))) {
                assertThat(second.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
                assertThatThrownBy(() -> EmbeddedKafka.start(config))
                        .as("a second broker on the same data dir")
                        .hasMessageContaining("is in use by another broker");
                produce(second.bootstrapServers(), "kept", List.of("after-restart"));
                assertThat(consume(second.bootstrapServers(), "kept", 2, "read_committed"))
                        .containsExactlyInAnyOrder("before-restart", "after-restart");
            }
            assertThat(dir).as("a data dir the caller chose is kept").isDirectory();
        } finally {
            Directories.deleteRecursively(dir);
        }
    }

    @Test
    void shouldDeliverARecordSentWhileTheBrokerWasDownOnceItIsBackOnTheSamePort() throws Exception {
        Path dir = Files.createTempDirectory(createdBase(), "outage-");
        EmbeddedKafka.Config config = EmbeddedKafka.Config.defaults().withDataDir(dir);
        EmbeddedKafka broker = EmbeddedKafka.start(config);
        try (KafkaProducer<String, String> producer = TestClients.producer(
                broker.bootstrapServers(),
                Map.of(
                        ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                        ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500))) {
            broker.createTopic("outage", 1);
            producer.send(new ProducerRecord<>("outage", "run-1", "before")).get();

            broker.close();
            // send() itself blocks while the producer has no metadata for the topic, so send from another thread
            CompletableFuture<RecordMetadata> sentWhileDown = CompletableFuture.supplyAsync(() -> {
                try {
                    return producer.send(new ProducerRecord<>("outage", "run-1", "during"))
                            .get();
                } catch (InterruptedException | ExecutionException e) {
                    throw new CompletionException(e);
                }
            });
            await().alias("nothing is delivered while the broker is down")
                    .during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> !sentWhileDown.isDone());

            broker = EmbeddedKafka.start(config.withPort(broker.port()));
            await().alias("the producer delivers once the broker is back")
                    .atMost(Duration.ofSeconds(60))
                    .until(sentWhileDown::isDone);
            assertThat(sentWhileDown.get().offset()).isEqualTo(1);
            assertThat(consume(broker.bootstrapServers(), "outage", 2, "read_committed"))
                    .containsExactly("before", "during");
        } finally {
            broker.close();
            Directories.deleteRecursively(dir);
        }
    }

    @Test
    void shouldRunTwoBrokersAtOnceWithoutClashing() {
        Path tempDir;
        try (EmbeddedKafka other = EmbeddedKafka.start(EmbeddedKafka.Config.defaults())) {
            tempDir = other.dataDir();
            assertThat(other.port()).isNotEqualTo(kafka.port());
            assertThat(other.dataDir()).isNotEqualTo(kafka.dataDir());

            other.createTopic("only.on.other", 1);
            produce(other.bootstrapServers(), "only.on.other", List.of("x"));
            kafka.createTopic("only.on.first", 1);
            produce(kafka.bootstrapServers(), "only.on.first", List.of("y"));

            assertThat(consume(other.bootstrapServers(), "only.on.other", 1, "read_committed"))
                    .containsExactly("x");
            assertThat(consume(kafka.bootstrapServers(), "only.on.first", 1, "read_committed"))
                    .containsExactly("y");
        }
        assertThat(tempDir).as("the temporary data dir is deleted on close").doesNotExist();
    }

    @Test
    void shouldRefuseAPortThatIsInUse() {
        assertThatThrownBy(() ->
                        EmbeddedKafka.start(EmbeddedKafka.Config.defaults().withPort(kafka.port())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("port " + kafka.port())
                .hasMessageContaining("already in use");
    }

    private static Path createdBase() throws Exception {
        return Files.createDirectories(KafkaBrokerExtension.testDataBase());
    }
}
