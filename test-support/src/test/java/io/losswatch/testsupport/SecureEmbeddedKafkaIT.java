package io.losswatch.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.losswatch.kafka.local.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-process broker with SASL PLAIN over TLS (SASL_SSL), a key made by keytool for 127.0.0.1. */
class SecureEmbeddedKafkaIT {
    private static final String STORE_PASSWORD = "store-pass-1";

    @TempDir
    Path tmp;

    private void keytool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("keytool.log").toFile())
                .start();
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("keytool finished").isTrue();
            assertThat(p.exitValue()).as("keytool " + args[0]).isZero();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void shouldRefuseClientsWithoutTlsTrustOrCredentialsAndServeThoseWithBoth() throws Exception {
        Path keystore = tmp.resolve("broker.p12");
        Path cert = tmp.resolve("broker.crt");
        Path truststore = tmp.resolve("trust.p12");
        keytool(
                "-genkeypair",
                "-alias",
                "broker",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                STORE_PASSWORD,
                "-keypass",
                STORE_PASSWORD);
        keytool(
                "-exportcert",
                "-alias",
                "broker",
                "-keystore",
                keystore.toString(),
                "-storepass",
                STORE_PASSWORD,
                "-file",
                cert.toString());
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "broker",
                "-file",
                cert.toString(),
                "-storetype",
                "PKCS12",
                "-keystore",
                truststore.toString(),
                "-storepass",
                STORE_PASSWORD);

        Map<String, String> users = new java.util.LinkedHashMap<>();
        users.put("admin", "admin-secret");
        users.put("alice", "alice-secret");
        EmbeddedKafka.Config config =
                EmbeddedKafka.Config.defaults().withSaslPlain(users).withTls(keystore, truststore, STORE_PASSWORD);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(config)) {
            String servers = kafka.bootstrapServers();
            Map<String, String> alice = EmbeddedKafka.clientSettings(config, "alice", "alice-secret");
            assertThat(alice).containsEntry("security.protocol", "SASL_SSL");

            assertThatThrownBy(() -> TestClients.describeCluster(servers, Map.of()))
                    .as("plaintext, no credentials")
                    .isInstanceOf(ExecutionException.class);
            Map<String, String> untrusted = new HashMap<>(alice);
            untrusted.keySet().removeIf(k -> k.startsWith("ssl.truststore"));
            assertThatThrownBy(() -> TestClients.describeCluster(servers, untrusted))
                    .as("TLS without trusting the broker")
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(SslAuthenticationException.class);
            assertThatThrownBy(() -> TestClients.describeCluster(
                            servers, EmbeddedKafka.clientSettings(config, "alice", "wrong")))
                    .as("wrong password")
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(SaslAuthenticationException.class);

            kafka.createTopic("secure.topic", 1);
            Map<String, Object> extra = new HashMap<>(alice);
            try (KafkaProducer<String, String> producer = TestClients.producer(servers, extra)) {
                producer.send(new ProducerRecord<>("secure.topic", "run-1", "over TLS"))
                        .get();
            }
            try (KafkaConsumer<String, String> consumer = TestClients.consumer(servers, extra)) {
                TopicPartition tp = new TopicPartition("secure.topic", 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                List<String> values = new java.util.ArrayList<>();
                long end = System.currentTimeMillis() + 30_000;
                while (values.isEmpty() && System.currentTimeMillis() < end) {
                    consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                }
                assertThat(values).containsExactly("over TLS");
            }
        }
    }
}
