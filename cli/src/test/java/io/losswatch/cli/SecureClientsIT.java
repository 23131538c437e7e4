package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.kafka.local.EmbeddedKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code losswatch train} and {@code losswatch attach}, each a process of its own with the console
 * logging users get, against a broker that requires SASL (SCRAM-SHA-512): with the usual client settings passed
 * through ({@code --kafka} and {@code LOSSWATCH_KAFKA_*}) their events arrive; without credentials
 * or with a wrong password they, and {@code losswatch monitor}, stop at once with one sentence, and no
 * password shows in their output. (The monitor with credentials is {@code SecureBrokerIT}.)
 */
class SecureClientsIT {
    private static final String ADMIN_PASSWORD = "broker-secret-61e0";
    private static final String TRAINER_PASSWORD = "trainer-secret-c37a";
    private static final String WRONG_PASSWORD = "not-the-secret-9b24";
    /** A refused client must say so well before a user gives up on it; the preflight waits 5 s. */
    private static final Duration REFUSED_WITHIN = Duration.ofSeconds(45);

    private static final List<String> COMMANDS = List.of("train", "attach", "monitor");

    private static EmbeddedKafka.Config config;
    private static EmbeddedKafka broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() {
        Map<String, String> users = new LinkedHashMap<>();
        users.put("admin", ADMIN_PASSWORD);
        users.put("trainer", TRAINER_PASSWORD);
        // SCRAM here, as many production brokers have it; the monitor against PLAIN is SecureBrokerIT
        config = EmbeddedKafka.Config.defaults().withSaslScram(users);
        broker = EmbeddedKafka.start(config);
        broker.createTopic(Topics.METRICS, 3);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /** One finished {@code losswatch} process: its exit code and everything it wrote to stdout and stderr. */
    private record Run(int exit, String output, Duration took) {}

    private static Run losswatch(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("losswatch-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        // the environment users have: no debug switch, no Kafka settings but those the test passes
        pb.environment().keySet().removeIf(k -> k.startsWith("LOSSWATCH_"));
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().putAll(env);
        long started = System.nanoTime();
        Process p = pb.start();
        try {
            assertThat(p.waitFor(3, TimeUnit.MINUTES))
                    .as("losswatch %s finished", args[0])
                    .isTrue();
            return new Run(p.exitValue(), Files.readString(log), Duration.ofNanos(System.nanoTime() - started));
        } finally {
            p.destroyForcibly();
            p.waitFor();
            Files.deleteIfExists(log);
        }
    }

    private static String[] train(String runId, String... more) {
        List<String> a = new ArrayList<>(List.of(
                "train",
                "--run-id",
                runId,
                "--model",
                "linear",
                "--steps",
                "20",
                "--print-every",
                "10",
                "--progress",
                "plain",
                "--bootstrap-servers",
                broker.bootstrapServers()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private String[] attach(String runId, String... more) throws IOException {
        Path csv = dir.resolve(runId + ".csv");
        Files.writeString(csv, "epoch,loss\n0,2.30\n1,2.10\n2,1.95\n");
        List<String> a = new ArrayList<>(List.of(
                "attach",
                "--file",
                csv.toString(),
                "--format",
                "keras-csv",
                "--run-id",
                runId,
                "--no-follow",
                "--bootstrap-servers",
                broker.bootstrapServers()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private String[] command(String command, String runId) throws IOException {
        return switch (command) {
            case "train" -> train(runId);
            case "attach" -> attach(runId);
            case "monitor" ->
                new String[] {
                    "monitor",
                    "--bootstrap-servers",
                    broker.bootstrapServers(),
                    "--http-port",
                    "-1",
                    "--state-dir",
                    dir.resolve("state-" + runId).toString()
                };
            default -> throw new IllegalArgumentException(command);
        };
    }

    private static String jaas(String password) {
        return EmbeddedKafka.clientSettings(config, "trainer", password).get("sasl.jaas.config");
    }

    @Test
    void shouldPublishFromTrainAndAttachWithTheCredentialsPassedThrough() throws Exception {
        // train: the secret in the environment, the rest as flags
        Run train = losswatch(
                Map.of("LOSSWATCH_KAFKA_SASL_JAAS_CONFIG", jaas(TRAINER_PASSWORD)),
                train(
                        "secure-train",
                        "--kafka",
                        "security.protocol=SASL_PLAINTEXT",
                        "--kafka",
                        "sasl.mechanism=SCRAM-SHA-512"));
        assertThat(train.exit()).as(train.output()).isZero();
        assertThat(train.output()).contains("completed; 20 steps", "sent 20, dropped 0, failed 0");

        // attach: everything as flags, the other way the README documents
        Run attach = losswatch(
                Map.of(),
                attach(
                        "secure-attach",
                        "--kafka",
                        "security.protocol=SASL_PLAINTEXT",
                        "--kafka",
                        "sasl.mechanism=SCRAM-SHA-512",
                        "--kafka",
                        "sasl.jaas.config=" + jaas(TRAINER_PASSWORD)));
        assertThat(attach.exit()).as(attach.output()).isZero();
        assertThat(attach.output()).contains("3 events published (3 sent, 0 dropped, 0 failed)");

        Map<String, List<StepEvent>> arrived = readSteps(Map.of("secure-train", 20, "secure-attach", 3));
        assertThat(arrived.get("secure-train"))
                .extracting(StepEvent::step)
                .containsExactlyElementsOf(
                        java.util.stream.LongStream.range(0, 20).boxed().toList());
        assertThat(arrived.get("secure-attach")).extracting(StepEvent::loss).containsExactly(2.30, 2.10, 1.95);
        for (Run r : List.of(train, attach)) {
            assertThat(r.output()).doesNotContain(TRAINER_PASSWORD).doesNotContain(ADMIN_PASSWORD);
        }
    }

    @Test
    void shouldRefuseTrainAttachAndMonitorWithoutCredentialsInOneSentence() throws Exception {
        Map<String, String> wrong = Map.of(
                "LOSSWATCH_KAFKA_SECURITY_PROTOCOL",
                "SASL_PLAINTEXT",
                "LOSSWATCH_KAFKA_SASL_MECHANISM",
                "SCRAM-SHA-512",
                "LOSSWATCH_KAFKA_SASL_JAAS_CONFIG",
                jaas(WRONG_PASSWORD));
        Map<String, Run> refused = new LinkedHashMap<>();
        for (String command : COMMANDS) {
            refused.put(command + " without credentials", losswatch(Map.of(), command(command, "no-credentials")));
            refused.put(command + " with a wrong password", losswatch(wrong, command(command, "wrong-password")));
        }

        refused.forEach((what, r) -> {
            assertThat(r.exit()).as(what + ":\n" + r.output()).isEqualTo(2);
            assertThat(r.took()).as(what + " gives up quickly").isLessThan(REFUSED_WITHIN);
            List<String> lines = r.output().lines().filter(l -> !l.isBlank()).toList();
            assertThat(lines)
                    .as(what + ": one sentence, no stack trace, no library chatter")
                    .hasSize(1);
            assertThat(lines.get(0))
                    .as(what)
                    .contains("Kafka at " + broker.bootstrapServers())
                    .doesNotContain("Exception");
            assertThat(r.output()).as(what).doesNotContain(WRONG_PASSWORD).doesNotContain(TRAINER_PASSWORD);
        });
        // to a client without SASL the broker just hangs up, which looks like no broker at all: the sentence says both
        for (String command : COMMANDS) {
            assertThat(refused.get(command + " without credentials").output())
                    .as(command)
                    .startsWith("Cannot reach Kafka at ")
                    .contains("security.protocol");
            assertThat(refused.get(command + " with a wrong password").output())
                    .as(command)
                    .startsWith("Kafka at " + broker.bootstrapServers() + " refused our credentials");
        }
        assertThat(readSteps(Map.of()).keySet())
                .as("runs that got events through")
                .doesNotContain("no-credentials", "wrong-password");
    }

    /** Reads the metrics topic with credentials until the given runs have their counts of events. */
    private static Map<String, List<StepEvent>> readSteps(Map<String, Integer> expected) {
        Map<String, Object> c = new HashMap<>(EmbeddedKafka.clientSettings(config, "admin", ADMIN_PASSWORD));
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "secure-clients-it-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, List<StepEvent>> out = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.METRICS));
            long[] quietSince = {System.nanoTime()};
            await().alias("the events of " + expected + " are on " + Topics.METRICS + ", and nothing more comes")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ZERO)
                    .until(() -> {
                        var records = consumer.poll(Duration.ofMillis(200));
                        for (var r : records) {
                            out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(EventJson.parseStep(r.value()));
                        }
                        if (!records.isEmpty()) {
                            quietSince[0] = System.nanoTime();
                        }
                        return expected.entrySet().stream()
                                        .allMatch(e -> out.getOrDefault(e.getKey(), List.of())
                                                        .size()
                                                >= e.getValue())
                                && System.nanoTime() - quietSince[0]
                                        > Duration.ofSeconds(1).toNanos()
                                && !consumer.assignment().isEmpty();
                    });
        }
        return out;
    }
}
