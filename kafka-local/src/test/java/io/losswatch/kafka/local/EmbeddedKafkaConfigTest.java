package io.losswatch.kafka.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaConfigTest {

    @Test
    void shouldDefaultToAFreePortATemporaryDirAndNoExtraProperties() {
        EmbeddedKafka.Config config = EmbeddedKafka.Config.defaults();

        assertThat(config.port()).isZero();
        assertThat(config.dataDir()).isNull();
        assertThat(config.brokerProperties()).isEmpty();
    }

    @Test
    void shouldReturnChangedCopiesFromWithers() {
        EmbeddedKafka.Config defaults = EmbeddedKafka.Config.defaults();

        EmbeddedKafka.Config changed = defaults.withPort(19092)
                .withDataDir(Path.of("d"))
                .withBrokerProperty("num.partitions", "3")
                .withBrokerProperty("num.partitions", "4");

        assertThat(changed).isEqualTo(new EmbeddedKafka.Config(19092, Path.of("d"), Map.of("num.partitions", "4")));
        assertThat(defaults).isEqualTo(EmbeddedKafka.Config.defaults());
    }

    @Test
    void shouldRejectAPortOutOfRange() {
        assertThatThrownBy(() -> EmbeddedKafka.Config.defaults().withPort(70_000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("70000");
    }

    @Test
    void shouldConfigureASingleNodeThatSupportsTransactionsAndLetUserPropertiesWin() {
        EmbeddedKafka.Config config =
                EmbeddedKafka.Config.defaults().withBrokerProperty("auto.create.topics.enable", "true");

        Properties p = EmbeddedKafka.brokerProperties(config, Path.of("/data"), 9092, 9093);

        assertThat(p)
                .containsEntry("listeners", "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093")
                .containsEntry("advertised.listeners", "PLAINTEXT://127.0.0.1:9092")
                .containsEntry("controller.quorum.voters", "1@127.0.0.1:9093")
                .containsEntry("log.dirs", Path.of("/data/logs").toString())
                .containsEntry("offsets.topic.replication.factor", "1")
                .containsEntry("transaction.state.log.replication.factor", "1")
                .containsEntry("transaction.state.log.min.isr", "1")
                .containsEntry("share.coordinator.state.topic.replication.factor", "1")
                .containsEntry("group.initial.rebalance.delay.ms", "0")
                .containsEntry("auto.create.topics.enable", "true");
    }

    @Test
    void shouldRequireSaslPlainOnTheClientListenerWhenUsersAreGiven() {
        Map<String, String> users = new java.util.LinkedHashMap<>();
        users.put("admin", "pw\"1");
        users.put("alice", "pw2");
        EmbeddedKafka.Config config =
                EmbeddedKafka.Config.defaults().withSaslPlain(users).withPort(9092);

        Properties p = EmbeddedKafka.brokerProperties(config, Path.of("/data"), 9092, 9093);

        assertThat(config.sasl()).isTrue();
        assertThat(p)
                .containsEntry("listeners", "SASL_PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093")
                .containsEntry("advertised.listeners", "SASL_PLAINTEXT://127.0.0.1:9092")
                .containsEntry("inter.broker.listener.name", "SASL_PLAINTEXT")
                .containsEntry("sasl.enabled.mechanisms", "PLAIN");
        assertThat(p.getProperty("listener.name.sasl_plaintext.plain.sasl.jaas.config"))
                .contains("username=\"admin\" password=\"pw\\\"1\"", "user_alice=\"pw2\"");
        assertThat(EmbeddedKafka.saslClientSettings("alice", "pw2"))
                .containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("sasl.mechanism", "PLAIN");
        assertThatThrownBy(() -> EmbeddedKafka.Config.defaults().withSaslPlain(Map.of("bad name", "x")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldKeepOnlyTheBrokersOwnScramLoginInItsSettingsAndSaltThePasswordsForTheFormat() {
        Map<String, String> users = new java.util.LinkedHashMap<>();
        users.put("admin", "pw,\"1");
        users.put("alice", "alice-pw");
        EmbeddedKafka.Config config = EmbeddedKafka.Config.defaults().withSaslScram(users);

        Properties p = EmbeddedKafka.brokerProperties(config, Path.of("/data"), 9092, 9093);

        assertThat(p)
                .containsEntry("sasl.enabled.mechanisms", "SCRAM-SHA-512")
                .containsEntry("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512");
        assertThat(p.getProperty("listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"))
                .startsWith("org.apache.kafka.common.security.scram.ScramLoginModule required")
                .contains("username=\"admin\" password=\"pw,\\\"1\"")
                .doesNotContain("alice");
        assertThat(EmbeddedKafka.clientSettings(config, "alice", "alice-pw"))
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .hasEntrySatisfying("sasl.jaas.config", jaas -> assertThat(jaas).contains("ScramLoginModule"));
        // salted and base64: no comma, quote or bracket of the password reaches the storage tool's parser
        assertThat(EmbeddedKafka.scramFormatArgument("admin", "pw,\"1"))
                .matches(
                        "SCRAM-SHA-512=\\[name=admin,iterations=8192,salt=\"[A-Za-z0-9+/=]+\",saltedpassword=\"[A-Za-z0-9+/=]+\"\\]");
        assertThatThrownBy(() -> new EmbeddedKafka.Config(0, null, Map.of(), users, "SCRAM-SHA-1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SCRAM-SHA-512");
    }
}
