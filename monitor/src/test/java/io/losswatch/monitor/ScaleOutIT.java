package io.losswatch.monitor;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.EventJson;
import io.losswatch.events.StartupException;
import io.losswatch.events.StepEvent;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TaskMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two monitors with the same application id share a four-partition topic: each run's alerts come exactly once. */
class ScaleOutIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final int PARTITIONS = 4;
    private static final int DIVERGING_RUNS = 8;
    private static final int HEALTHY_RUNS = 8;
    private static final int STEPS = 80;

    private final List<MonitorApp> monitors = new ArrayList<>();

    @AfterEach
    void stopMonitors() {
        monitors.forEach(MonitorApp::close);
    }

    @Test
    void shouldSplitRunsAcrossTwoInstancesAndAlertEveryDivergingRunExactlyOnce() {
        String id = "scale-" + UUID.randomUUID().toString().substring(0, 8);
        MonitorConfig config = MonitorConfig.defaults(KAFKA.bootstrapServers())
                .withApplicationId(id)
                .withTopics(id + ".metrics", id + ".alerts", id + ".dlq");
        MonitorApp.Options options = new MonitorApp.Options("127.0.0.1", -1, true, PARTITIONS, 30);
        for (int i = 0; i < 2; i++) {
            monitors.add(start(config.withStateDir(Path.of("target", "streams-" + id + "-" + i)), options));
        }
        await().alias("both instances are running and each owns some of the four partitions")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> monitors.stream()
                                .allMatch(m ->
                                        m.isRunning() && !activePartitions(m).isEmpty())
                        && monitors.stream()
                                        .mapToInt(m -> activePartitions(m).size())
                                        .sum()
                                == PARTITIONS);

        List<String> diverging = new ArrayList<>();
        List<String> healthy = new ArrayList<>();
        for (int r = 0; r < DIVERGING_RUNS; r++) {
            diverging.add("diverging-" + r);
        }
        for (int r = 0; r < HEALTHY_RUNS; r++) {
            healthy.add("healthy-" + r);
        }
        long sent = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        KAFKA.bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int step = 0; step < STEPS; step++) {
                for (String run : diverging) {
                    double loss = step < 30
                            ? 2.3 * Math.exp(-0.01 * step)
                            : 2.3 * Math.exp(-0.3) * Math.exp(0.1 * (step - 30));
                    send(producer, config, StepEvent.of(run, step, loss).withLearningRate(0.5));
                    sent++;
                }
                for (String run : healthy) {
                    send(
                            producer,
                            config,
                            StepEvent.of(run, step, 2.3 * Math.exp(-step / 60.0))
                                    .withLearningRate(0.001));
                    sent++;
                }
            }
            producer.flush();
        }
        long total = sent;
        await().alias("the two instances together have processed every step")
                .atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(200))
                .until(() ->
                        monitors.stream().mapToDouble(ScaleOutIT::recordsRead).sum() >= total);
        await().alias("every diverging run has a committed alert")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> firing(config).stream()
                        .map(AlertEvent::runId)
                        .collect(Collectors.toSet())
                        .containsAll(diverging));

        assertThat(monitors)
                .as("each instance processed some of the runs")
                .allSatisfy(m -> assertThat(recordsRead(m)).isGreaterThan(0));
        List<AlertEvent> alerts = firing(config);
        Set<String> alerted = new TreeSet<>();
        alerts.forEach(a -> alerted.add(a.runId()));
        assertThat(alerted).as("runs that alerted").containsExactlyElementsOf(new TreeSet<>(diverging));
        Map<String, Long> perRunAndType =
                alerts.stream().collect(Collectors.groupingBy(a -> a.runId() + "/" + a.type(), Collectors.counting()));
        assertThat(perRunAndType)
                .as("firing alerts per run and type")
                .allSatisfy((k, n) -> assertThat(n).isEqualTo(1));
    }

    @Test
    void shouldHandTheRunsOfAStoppedInstanceToTheOtherWithTheirState() {
        String id = "failover-" + UUID.randomUUID().toString().substring(0, 8);
        MonitorConfig config = MonitorConfig.defaults(KAFKA.bootstrapServers())
                .withApplicationId(id)
                .withTopics(id + ".metrics", id + ".alerts", id + ".dlq");
        MonitorApp.Options options = new MonitorApp.Options("127.0.0.1", -1, true, PARTITIONS, 30);
        for (int i = 0; i < 2; i++) {
            monitors.add(start(config.withStateDir(Path.of("target", "streams-" + id + "-" + i)), options));
        }
        await().alias("both instances are running and share the four partitions")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> monitors.stream()
                                .allMatch(m ->
                                        m.isRunning() && !activePartitions(m).isEmpty())
                        && monitors.stream()
                                        .mapToInt(m -> activePartitions(m).size())
                                        .sum()
                                == PARTITIONS);
        List<String> diverging = new ArrayList<>();
        for (int r = 0; r < DIVERGING_RUNS; r++) {
            diverging.add("diverging-" + r);
        }
        // growth begins at step 30; the first instance leaves at step 36, before any alert could fire
        int handover = 36;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        KAFKA.bootstrapServers(),
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            sendSteps(producer, config, diverging, 0, handover);
            long firstPart = (long) handover * diverging.size();
            await().alias("both instances have processed the steps before the handover")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> monitors.stream()
                                    .mapToDouble(ScaleOutIT::recordsRead)
                                    .sum()
                            >= firstPart);
            assertThat(firing(config)).as("no alert before the handover").isEmpty();

            MonitorApp leaving = monitors.remove(0);
            leaving.close();
            MonitorApp survivor = monitors.get(0);
            await().alias("the survivor owns all four partitions")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() ->
                            survivor.isRunning() && activePartitions(survivor).size() == PARTITIONS);

            sendSteps(producer, config, diverging, handover, STEPS);
        }
        await().alias("every diverging run has a committed alert after the handover")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> firing(config).stream()
                        .map(AlertEvent::runId)
                        .collect(Collectors.toSet())
                        .containsAll(diverging));
        List<AlertEvent> alerts = firing(config);
        Map<String, Long> perRunAndType =
                alerts.stream().collect(Collectors.groupingBy(a -> a.runId() + "/" + a.type(), Collectors.counting()));
        assertThat(perRunAndType)
                .as("firing alerts per run and type")
                .allSatisfy((k, n) -> assertThat(n).isEqualTo(1));
        // the onset lies before the handover: only the windows the leaving instance built can place it there
        assertThat(alerts)
                .filteredOn(a -> a.type() == io.losswatch.events.AlertType.LOSS_EXPONENTIAL_GROWTH)
                .hasSize(DIVERGING_RUNS)
                .allSatisfy(a -> assertThat(a.onsetStep()).isLessThan(handover));
    }

    private static void sendSteps(
            KafkaProducer<byte[], byte[]> producer, MonitorConfig config, List<String> runs, int from, int to) {
        for (int step = from; step < to; step++) {
            for (String run : runs) {
                double loss =
                        step < 30 ? 2.3 * Math.exp(-0.01 * step) : 2.3 * Math.exp(-0.3) * Math.exp(0.1 * (step - 30));
                send(producer, config, StepEvent.of(run, step, loss).withLearningRate(0.5));
            }
        }
        producer.flush();
    }

    private static MonitorApp start(MonitorConfig config, MonitorApp.Options options) {
        try {
            return MonitorApp.start(config, options);
        } catch (StartupException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static Set<TopicPartition> activePartitions(MonitorApp m) {
        return m.streams().metadataForLocalThreads().stream()
                .flatMap(t -> t.activeTasks().stream())
                .flatMap((TaskMetadata t) -> t.topicPartitions().stream())
                .collect(Collectors.toSet());
    }

    private static double recordsRead(MonitorApp m) {
        return m.registry().get(LosswatchMetrics.RECORDS).counter().count();
    }

    private static void send(KafkaProducer<byte[], byte[]> p, MonitorConfig config, StepEvent e) {
        p.send(new ProducerRecord<>(config.metricsTopic(), e.runId().getBytes(UTF_8), EventJson.writeStep(e)));
    }

    /** Every firing alert committed on the alerts topic so far. */
    private static List<AlertEvent> firing(MonitorConfig config) {
        return Committed.alerts(KAFKA.bootstrapServers(), config.alertsTopic()).stream()
                .filter(a -> a.status() == AlertStatus.FIRING)
                .toList();
    }
}
