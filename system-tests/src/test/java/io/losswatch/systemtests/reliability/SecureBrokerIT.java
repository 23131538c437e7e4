package io.losswatch.systemtests.reliability;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.kafka.local.EmbeddedKafka;
import io.losswatch.testsupport.Committed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A broker that requires SASL (PLAIN): clients without credentials, or with wrong ones, are refused;
 * the monitor gets in with the usual Kafka client settings passed through ({@code --kafka} and
 * {@code LOSSWATCH_KAFKA_*}), and its secret shows nowhere in its output or on /metrics.
 */
class SecureBrokerIT {
    private static final String ADMIN_PASSWORD = "broker-secret-7d1f";
    private static final String MONITOR_PASSWORD = "monitor-secret-93ab";
    private static final String TRAINER_PASSWORD = "trainer-secret-45c2";

    private static EmbeddedKafka broker;

    @BeforeAll
    static void startBroker() {
        Map<String, String> users = new LinkedHashMap<>();
        users.put("admin", ADMIN_PASSWORD);
        users.put("monitor", MONITOR_PASSWORD);
        users.put("trainer", TRAINER_PASSWORD);
        broker = EmbeddedKafka.start(EmbeddedKafka.Config.defaults().withSaslPlain(users));
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    private static Map<String, Object> client(Map<String, String> security) {
        Map<String, Object> c = new HashMap<>(security);
        c.put("bootstrap.servers", broker.bootstrapServers());
        return c;
    }

    private static void describeCluster(Map<String, String> security) throws Exception {
        try (Admin admin = Admin.create(client(security))) {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(5_000))
                    .nodes()
                    .get();
        }
    }

    @Test
    void shouldRefuseAClientWithoutCredentialsOrWithAWrongPasswordAndAcceptOneWithThem() throws Exception {
        assertThatThrownBy(() -> describeCluster(Map.of())).as("no credentials").isInstanceOf(ExecutionException.class);
        assertThatThrownBy(() -> describeCluster(EmbeddedKafka.saslClientSettings("trainer", "wrong")))
                .as("wrong password")
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(SaslAuthenticationException.class);
        describeCluster(EmbeddedKafka.saslClientSettings("trainer", TRAINER_PASSWORD));
    }

    @Test
    void shouldRunTheMonitorWithCredentialsPassedThroughAndKeepTheSecretOutOfItsOutput() throws Exception {
        Path logs = Files.createDirectories(Path.of("target", "it-logs"));
        Path refusedLog = logs.resolve("sasl-refused-" + UUID.randomUUID() + ".log");
        try (MonitorProcess refused = MonitorProcess.start(
                refusedLog,
                "--bootstrap-servers",
                broker.bootstrapServers(),
                "--state-dir",
                Path.of("target", "sasl-" + UUID.randomUUID()).toString())) {
            assertThat(refused.waitForExit(Duration.ofSeconds(60)))
                    .as("monitor without credentials")
                    .isEqualTo(2);
        }
        assertThat(Files.readString(refusedLog)).contains("Cannot reach Kafka at " + broker.bootstrapServers());

        Map<String, String> monitorSecurity = EmbeddedKafka.saslClientSettings("monitor", MONITOR_PASSWORD);
        Path log = logs.resolve("sasl-" + UUID.randomUUID() + ".log");
        // the secret through the environment, the rest as flags: the two ways the README documents
        try (MonitorProcess monitor = MonitorProcess.start(
                log,
                Map.of("LOSSWATCH_KAFKA_SASL_JAAS_CONFIG", monitorSecurity.get("sasl.jaas.config")),
                "--bootstrap-servers",
                broker.bootstrapServers(),
                "--state-dir",
                Path.of("target", "sasl-" + UUID.randomUUID()).toString(),
                "--kafka",
                "security.protocol=SASL_PLAINTEXT",
                "--kafka",
                "sasl.mechanism=PLAIN")) {
            monitor.awaitHealthy(Duration.ofSeconds(90));
            Map<String, Object> trainer = client(EmbeddedKafka.saslClientSettings("trainer", TRAINER_PASSWORD));
            trainer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(trainer, new ByteArraySerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < 80; i++) {
                    double loss = i < 40 ? 2.3 : 2.3 * Math.exp(0.1 * (i - 40));
                    producer.send(new ProducerRecord<>(
                            Topics.METRICS,
                            "secure".getBytes(UTF_8),
                            EventJson.writeStep(StepEvent.of("secure", i, loss))));
                }
                producer.flush();
            }
            List<AlertEvent> alerts = readAlerts(EmbeddedKafka.saslClientSettings("trainer", TRAINER_PASSWORD));
            assertThat(alerts)
                    .filteredOn(a -> a.status() == AlertStatus.FIRING)
                    .extracting(AlertEvent::runId)
                    .containsExactly("secure");

            String metrics = monitor.get("/metrics").body();
            assertThat(metrics).contains("losswatch_loss{run_id=\"secure\"}");
            for (String secret : List.of(MONITOR_PASSWORD, TRAINER_PASSWORD, ADMIN_PASSWORD)) {
                assertThat(metrics).doesNotContain(secret);
                assertThat(Files.readString(log)).as("monitor output").doesNotContain(secret);
            }
        }
    }

    private static List<AlertEvent> readAlerts(Map<String, String> security) throws Exception {
        List<AlertEvent> out = new ArrayList<>();
        for (var r : Committed.records(
                broker.bootstrapServers(), client(security), Topics.ALERTS, 1, Duration.ZERO, Duration.ofSeconds(60))) {
            out.add(EventJson.parseAlert(r.value()));
        }
        return out;
    }
}
