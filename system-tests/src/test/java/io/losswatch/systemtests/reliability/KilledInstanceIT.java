package io.losswatch.systemtests.reliability;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.monitor.reliability.BadInputTest;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two monitor processes with the same application id share a four-partition topic; one is killed
 * with SIGKILL while diverging runs straddle the kill. The other takes its partitions over once the
 * killed member's session expires, restores the runs' windows from the changelog, and every
 * diverging run is alerted exactly once, at the step and with the onset of an undisturbed run.
 */
class KilledInstanceIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final int PARTITIONS = 4;
    private static final int DIVERGING_PER_PARTITION = 2;
    private static final int STEPS = 260;
    private static final int ONSET = 100;

    @TempDir
    Path tmp;

    static StepEvent diverging(String run, int i) {
        double loss = i < ONSET ? 2.3 * Math.exp(-0.005 * i) : 2.3 * Math.exp(-0.5) * Math.exp(0.08 * (i - ONSET));
        return StepEvent.of(run, i, loss).withLearningRate(0.5).withGradNorm(1.0 + 0.01 * i);
    }

    static StepEvent healthy(String run, int i) {
        return StepEvent.of(run, i, 2.3 * Math.exp(-i / 80.0)).withLearningRate(0.001);
    }

    /** The partition the producer's default partitioner gives a run, so the test can spread runs over all four. */
    private static int partitionOf(String run) {
        return Utils.toPositive(Utils.murmur2(run.getBytes(UTF_8))) % PARTITIONS;
    }

    /** {@code perPartition} run ids with this prefix on each of the partitions. */
    private static List<String> spread(String prefix, int perPartition) {
        int[] taken = new int[PARTITIONS];
        List<String> runs = new ArrayList<>();
        for (int n = 0; runs.size() < perPartition * PARTITIONS; n++) {
            String run = prefix + "-" + n;
            if (taken[partitionOf(run)]++ < perPartition) {
                runs.add(run);
            }
        }
        return runs;
    }

    /** The alerts of one diverging run without any failure: the production topology in TopologyTestDriver. */
    private List<String> undisturbed() {
        try (BadInputTest.Harness h = new BadInputTest.Harness(tmp.resolve("reference"))) {
            for (int i = 0; i < STEPS; i++) {
                h.send(diverging("reference", i));
            }
            return h.alertsOf("reference");
        }
    }

    private static String describe(AlertEvent a) {
        return a.status() + " " + a.type() + "@" + a.step() + " onset " + a.onsetStep();
    }

    @Test
    void shouldHandTheRunsOfAKilledInstanceToTheOtherWithTheirStateAndAlertEachDivergingRunOnce() throws Exception {
        List<String> expected = undisturbed();
        assertThat(expected).as("the reference run alerts").isNotEmpty();
        assertThat(expected.get(0)).startsWith(AlertStatus.FIRING + " " + AlertType.LOSS_EXPONENTIAL_GROWTH);
        int firingStep = Integer.parseInt(expected.get(0).replaceAll(".*@(\\d+) .*", "$1"));
        // the killed instance has seen the growth begin but not enough of it to alert
        int killAt = ONSET + (firingStep - ONSET) / 3;
        assertThat(killAt).as("room between the onset and the alert").isGreaterThan(ONSET + 2);

        String id = "killed-" + UUID.randomUUID().toString().substring(0, 8);
        String metricsTopic = id + ".metrics";
        String alertsTopic = id + ".alerts";
        KAFKA.createTopic(metricsTopic, PARTITIONS);
        KAFKA.createTopic(alertsTopic, PARTITIONS);
        KAFKA.createTopic(id + ".dlq", PARTITIONS);
        List<String> divergingRuns = spread("diverging", DIVERGING_PER_PARTITION);
        List<String> healthyRuns = spread("healthy", 1);

        Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve(id + ".log");
        MonitorProcess doomed = MonitorProcess.start(log, args(id, "doomed"));
        MonitorProcess survivor = MonitorProcess.start(log, args(id, "survivor"));
        PacedTrainer trainer = null;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()));
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                KAFKA.bootstrapServers(),
                                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                                true,
                                ProducerConfig.ACKS_CONFIG,
                                "all"),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            doomed.awaitHealthy(Duration.ofSeconds(90));
            survivor.awaitHealthy(Duration.ofSeconds(90));
            await().alias("each instance owns some of the four partitions")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(() -> {
                        Map<String, Set<Integer>> owned = partitionsByInstance(admin, id, metricsTopic);
                        int doomedOwns = owned.getOrDefault("doomed", Set.of()).size();
                        int survivorOwns =
                                owned.getOrDefault("survivor", Set.of()).size();
                        return doomedOwns > 0 && survivorOwns > 0 && doomedOwns + survivorOwns == PARTITIONS;
                    });
            Set<Integer> doomedPartitions =
                    partitionsByInstance(admin, id, metricsTopic).get("doomed");
            List<String> doomedRuns = divergingRuns.stream()
                    .filter(r -> doomedPartitions.contains(partitionOf(r)))
                    .toList();

            // steps before the kill, as fast as they go, so the doomed instance is known to hold the growth's start
            for (int i = 0; i < killAt; i++) {
                sendStep(producer, metricsTopic, divergingRuns, healthyRuns, i);
            }
            producer.flush();
            await().alias("both instances have processed every run up to step " + (killAt - 1))
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> allRuns(divergingRuns, healthyRuns).stream()
                            .allMatch(r -> Math.max(step(doomed, r), step(survivor, r)) >= killAt - 1));
            assertThat(doomedRuns)
                    .as("diverging runs the doomed instance processed")
                    .allSatisfy(r -> assertThat(step(doomed, r)).isEqualTo(killAt - 1));
            assertThat(firing(alertsTopic)).as("no alert before the kill").isEmpty();

            // killed first, so no step past the kill can reach it whatever the machine's load; the trainer
            // goes on at its own pace while the dead member still holds its partitions, then through the handover
            doomed.kill();
            assertThat(doomed.isAlive()).isFalse();
            trainer = new PacedTrainer(
                    STEPS - killAt,
                    Duration.ofMillis(50),
                    i -> sendStep(producer, metricsTopic, divergingRuns, healthyRuns, killAt + i),
                    producer::flush);

            await().alias("the survivor has processed every run to its last step (log: " + log + ")")
                    .atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() ->
                            allRuns(divergingRuns, healthyRuns).stream().allMatch(r -> step(survivor, r) >= STEPS - 1));
            assertThat(trainer.awaitDone(Duration.ofSeconds(60)))
                    .as("the trainer published every step")
                    .isTrue();
            assertThat(trainer.error()).isNull();
            assertThat(partitionsByInstance(admin, id, metricsTopic))
                    .as("partitions by instance after the kill")
                    .isEqualTo(Map.of("survivor", Set.of(0, 1, 2, 3)));

            Map<String, List<String>> expectedByRun = new java.util.TreeMap<>();
            divergingRuns.forEach(r -> expectedByRun.put(r, expected));
            // the same step and onset as undisturbed, once each: the onset before the kill comes from the
            // windows the killed instance built, which the survivor restored from the changelog
            await().alias("the committed alerts of every run are those of an undisturbed run")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(byRun(committedAlerts(alertsTopic)))
                            .as("alerts per run (the killed instance had %s)", doomedRuns)
                            .isEqualTo(expectedByRun));
            List<AlertEvent> alerts = committedAlerts(alertsTopic);
            assertThat(byRun(alerts)).as("alerts per run, read again").isEqualTo(expectedByRun);
            assertThat(doomedRuns)
                    .as("diverging runs the killed instance owned")
                    .isNotEmpty();
            assertThat(alerts)
                    .filteredOn(a -> doomedRuns.contains(a.runId()) && a.status() == AlertStatus.FIRING)
                    .allSatisfy(a -> assertThat(a.onsetStep())
                            .as("onset of %s", a.runId())
                            .isLessThan(killAt));
        } finally {
            if (trainer != null) {
                trainer.close();
            }
            doomed.close();
            survivor.close();
        }
    }

    private String[] args(String applicationId, String instance) {
        return new String[] {
            "--bootstrap-servers",
            KAFKA.bootstrapServers(),
            "--application-id",
            applicationId,
            "--partitions",
            Integer.toString(PARTITIONS),
            "--metrics-topic",
            applicationId + ".metrics",
            "--alerts-topic",
            applicationId + ".alerts",
            "--dlq-topic",
            applicationId + ".dlq",
            "--state-dir",
            tmp.resolve("state-" + instance).toString(),
            // names the group member, so the test can tell which instance owns which partitions
            "--kafka",
            "client.id=" + instance,
            // the killed member's partitions move once its session expires; the default 45 s would only slow the test
            "--kafka",
            "session.timeout.ms=6000",
            "--kafka",
            "heartbeat.interval.ms=1000"
        };
    }

    private static Map<String, List<String>> byRun(List<AlertEvent> alerts) {
        return alerts.stream()
                .collect(Collectors.groupingBy(
                        AlertEvent::runId,
                        java.util.TreeMap::new,
                        Collectors.mapping(KilledInstanceIT::describe, Collectors.toList())));
    }

    private static List<String> allRuns(List<String> diverging, List<String> healthy) {
        List<String> all = new ArrayList<>(diverging);
        all.addAll(healthy);
        return all;
    }

    private static void sendStep(
            KafkaProducer<byte[], byte[]> producer, String topic, List<String> diverging, List<String> healthy, int i) {
        for (String run : diverging) {
            producer.send(new ProducerRecord<>(topic, run.getBytes(UTF_8), EventJson.writeStep(diverging(run, i))));
        }
        for (String run : healthy) {
            producer.send(new ProducerRecord<>(topic, run.getBytes(UTF_8), EventJson.writeStep(healthy(run, i))));
        }
    }

    private static double step(MonitorProcess m, String run) {
        return m.isAlive() ? m.metric("losswatch_step{run_id=\"" + run + "\"}").orElse(-1) : -1;
    }

    /** Active partitions of the metrics topic per instance, by the client id each was started with. */
    private static Map<String, Set<Integer>> partitionsByInstance(Admin admin, String group, String topic)
            throws Exception {
        Map<String, Set<Integer>> out = new HashMap<>();
        for (MemberDescription m : admin.describeConsumerGroups(List.of(group))
                .describedGroups()
                .get(group)
                .get()
                .members()) {
            Set<Integer> partitions = m.assignment().topicPartitions().stream()
                    .filter(tp -> tp.topic().equals(topic))
                    .map(TopicPartition::partition)
                    .collect(Collectors.toCollection(TreeSet::new));
            if (!partitions.isEmpty()) {
                out.computeIfAbsent(m.clientId().replaceAll("-StreamThread-.*", ""), k -> new TreeSet<>())
                        .addAll(partitions);
            }
        }
        return out;
    }

    private static List<AlertEvent> firing(String topic) {
        return committedAlerts(topic).stream()
                .filter(a -> a.status() == AlertStatus.FIRING)
                .toList();
    }

    private static List<AlertEvent> committedAlerts(String topic) {
        return Committed.alerts(KAFKA.bootstrapServers(), topic);
    }
}
