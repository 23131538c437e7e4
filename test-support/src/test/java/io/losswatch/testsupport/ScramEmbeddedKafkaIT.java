package io.losswatch.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.losswatch.kafka.local.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.UnsupportedSaslMechanismException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-process broker with SASL SCRAM-SHA-512: the users are in the metadata log from the format on;
 * a wrong password, no credentials and PLAIN are refused; the right password produces and consumes,
 * transactions included (their markers go broker to broker, so the broker's own SCRAM login is used);
 * a restart on the same data dir keeps the users and adds or updates those given.
 */
class ScramEmbeddedKafkaIT {
    /** Commas, quotes, brackets and '=' would break the storage tool's parser if passed as they are. */
    private static final String ADMIN_PASSWORD = "adm,in\"pw]=1";

    private static final String ALICE_PASSWORD = "alice, sécret [1]";

    @TempDir
    Path dataDir;

    @Test
    void shouldRefuseAWrongPasswordAndServeTheRightOneAcrossARestart() throws Exception {
        Map<String, String> users = new LinkedHashMap<>();
        users.put("admin", ADMIN_PASSWORD);
        users.put("alice", ALICE_PASSWORD);
        EmbeddedKafka.Config config =
                EmbeddedKafka.Config.defaults().withDataDir(dataDir).withSaslScram(users);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(config)) {
            String servers = kafka.bootstrapServers();
            Map<String, String> alice = EmbeddedKafka.clientSettings(config, "alice", ALICE_PASSWORD);
            assertThat(alice)
                    .containsEntry("security.protocol", "SASL_PLAINTEXT")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-512");

            Map<String, String> wrongPassword = EmbeddedKafka.clientSettings(config, "alice", "wrong");
            Map<String, String> unknownUser = EmbeddedKafka.clientSettings(config, "mallory", ALICE_PASSWORD);
            Map<String, String> plain = EmbeddedKafka.saslClientSettings("alice", ALICE_PASSWORD);
            assertThatThrownBy(() -> TestClients.describeCluster(servers, wrongPassword))
                    .as("wrong password")
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(SaslAuthenticationException.class);
            assertThatThrownBy(() -> TestClients.describeCluster(servers, unknownUser))
                    .as("unknown user")
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(SaslAuthenticationException.class);
            assertThatThrownBy(() -> TestClients.describeCluster(servers, plain))
                    .as("PLAIN is not offered")
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(UnsupportedSaslMechanismException.class);
            assertThatThrownBy(() -> TestClients.describeCluster(servers, Map.of()))
                    .as("no credentials")
                    .isInstanceOf(ExecutionException.class);

            kafka.createTopic("scram.topic", 1);
            produceInTransaction(servers, alice, "first");
            assertThat(readCommitted(servers, alice, 1)).containsExactly("first");
        }

        // the same data dir again: alice's password changes, bob is new, admin (the broker's own login) stays
        Map<String, String> changed = new LinkedHashMap<>();
        changed.put("admin", ADMIN_PASSWORD);
        changed.put("alice", "alice-new");
        changed.put("bob", "bob-secret");
        EmbeddedKafka.Config again =
                EmbeddedKafka.Config.defaults().withDataDir(dataDir).withSaslScram(changed);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(again)) {
            String servers = kafka.bootstrapServers();
            Map<String, String> bob = EmbeddedKafka.clientSettings(again, "bob", "bob-secret");
            TestClients.describeCluster(servers, bob);
            TestClients.describeCluster(servers, EmbeddedKafka.clientSettings(again, "alice", "alice-new"));
            Map<String, String> oldPassword = EmbeddedKafka.clientSettings(again, "alice", ALICE_PASSWORD);
            assertThatThrownBy(() -> TestClients.describeCluster(servers, oldPassword))
                    .as("alice's old password")
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(SaslAuthenticationException.class);
            produceInTransaction(servers, bob, "second");
            assertThat(readCommitted(servers, bob, 2)).containsExactly("first", "second");
        }
    }

    private static void produceInTransaction(String servers, Map<String, String> security, String value)
            throws Exception {
        Map<String, Object> extra = new HashMap<>(security);
        extra.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "scram-it-" + value);
        try (KafkaProducer<String, String> producer = TestClients.producer(servers, extra)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("scram.topic", "run-1", value));
            producer.commitTransaction();
        }
    }

    private static List<String> readCommitted(String servers, Map<String, String> security, int expected) {
        Map<String, Object> extra = new HashMap<>(security);
        extra.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = TestClients.consumer(servers, extra)) {
            TopicPartition tp = new TopicPartition("scram.topic", 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            await().alias(expected + " committed records on scram.topic")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> {
                        consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                        return values.size() >= expected;
                    });
        }
        return values;
    }
}
