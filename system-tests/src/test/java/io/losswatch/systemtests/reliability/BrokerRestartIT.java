package io.losswatch.systemtests.reliability;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.kafka.local.EmbeddedKafka;
import io.losswatch.monitor.LosswatchMetrics;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.monitor.reliability.BadInputTest;
import io.losswatch.testsupport.Committed;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker goes away for 20 s and comes back on the same data dir while trainers publish: the
 * trainers' idempotent producers and the monitor resume by themselves, no step is lost or counted
 * twice, and the alerts are those of an undisturbed run.
 */
class BrokerRestartIT {
    private static final String DIVERGING = "outage-div";
    private static final String HEALTHY = "outage-ok";
    private static final int STEPS = 500;
    private static final int ONSET = 300;
    private static final Duration OUTAGE = Duration.ofSeconds(20);

    @TempDir
    Path tmp;

    static StepEvent diverging(int i) {
        double loss = i < ONSET ? 2.3 * Math.exp(-0.002 * i) : 2.3 * Math.exp(-0.6) * Math.exp(0.08 * (i - ONSET));
        return StepEvent.of(DIVERGING, i, loss).withLearningRate(0.5);
    }

    static StepEvent healthy(int i) {
        return StepEvent.of(HEALTHY, i, 2.3 * Math.exp(-i / 150.0) + 0.05 * Math.sin(i))
                .withLearningRate(0.001);
    }

    @Test
    void shouldLoseNoStepAndAlertAsUsualWhenTheBrokerRestartsWhileTrainersPublish() throws Exception {
        List<String> expected = new ArrayList<>();
        try (BadInputTest.Harness h = new BadInputTest.Harness(tmp.resolve("reference"))) {
            for (int i = 0; i < STEPS; i++) {
                h.send(diverging(i));
                h.send(healthy(i));
            }
            expected.addAll(h.alertsOf(DIVERGING));
            assertThat(h.alertsOf(HEALTHY)).isEmpty();
        }
        assertThat(expected).isNotEmpty();

        EmbeddedKafka.Config brokerConfig = EmbeddedKafka.Config.defaults()
                .withPort(MonitorProcess.freePort())
                .withDataDir(tmp.resolve("kafka"));
        EmbeddedKafka broker = EmbeddedKafka.start(brokerConfig);
        String servers = broker.bootstrapServers();
        MonitorApp monitor = null;
        PacedTrainer trainer = null;
        Thread sender = null;
        AtomicInteger published = new AtomicInteger();
        AtomicReference<Exception> sendError = new AtomicReference<>();
        // the settings of the trainer's MetricsPublisher: idempotent, acks=all, retried until delivery.timeout.ms
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        servers,
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        // longer than the outage, or a send waiting for metadata gives up (MetricsPublisher: 120 s)
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        60_000),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            monitor = MonitorApp.start(
                    MonitorConfig.defaults(servers).withStateDir(tmp.resolve("state")),
                    MonitorApp.Options.defaults().withHttp("127.0.0.1", 0));
            MonitorApp m = monitor;
            await().alias("monitor is running").atMost(Duration.ofSeconds(60)).until(m::isRunning);

            // like the trainer's MetricsPublisher: training only queues a step; a sender thread hands it to
            // the producer, whose send() may wait for metadata while the broker is away
            BlockingQueue<StepEvent> queue = new LinkedBlockingQueue<>();
            sender = new Thread(
                    () -> {
                        try {
                            for (int n = 0; n < 2 * STEPS; n++) {
                                StepEvent e = queue.take();
                                producer.send(
                                        new ProducerRecord<>(
                                                Topics.METRICS, e.runId().getBytes(UTF_8), EventJson.writeStep(e)),
                                        (md, ex) -> {
                                            if (ex != null) {
                                                sendError.set(ex);
                                            }
                                        });
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } catch (RuntimeException e) {
                            sendError.set(e);
                        }
                    },
                    "sender");
            sender.start();
            trainer = new PacedTrainer(
                    STEPS,
                    Duration.ofMillis(60),
                    i -> {
                        queue.add(diverging(i));
                        queue.add(healthy(i));
                        published.set(i);
                    },
                    () -> {});

            await().alias("monitor is processing the runs")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> records(m) >= 100);
            broker.close();
            long down = System.nanoTime();
            int atStop = published.get();
            await().alias("the broker stays down for " + OUTAGE.toSeconds() + " s while the trainer publishes")
                    .pollDelay(OUTAGE)
                    .atMost(OUTAGE.plusSeconds(5))
                    .until(() -> true);
            assertThat(published.get()).as("the trainer went on publishing").isGreaterThan(atStop + 100);
            broker = EmbeddedKafka.start(brokerConfig);
            assertThat(System.nanoTime() - down).isGreaterThanOrEqualTo(OUTAGE.toNanos());

            assertThat(trainer.awaitDone(Duration.ofSeconds(120)))
                    .as("the trainer queued every step")
                    .isTrue();
            sender.join(120_000);
            producer.flush();
            assertThat(sendError.get()).as("no step failed to publish").isNull();
            await().alias("the monitor has processed every step exactly once")
                    .atMost(Duration.ofSeconds(120))
                    .until(() -> records(m) >= 2 * STEPS);
            assertThat(records(m)).isEqualTo(2.0 * STEPS);
            assertThat(m.registry().find(LosswatchMetrics.IGNORED_RECORDS).counters())
                    .as("no step arrived twice")
                    .allSatisfy(c -> assertThat(c.count()).isZero());
            assertThat(m.metrics().runValue(LosswatchMetrics.STEP, HEALTHY)).hasValue(STEPS - 1);
            assertThat(m.isRunning()).isTrue();

            List<String> alerts = readCommittedAlerts(servers);
            assertThat(alerts).isEqualTo(expected);
        } finally {
            if (trainer != null) {
                trainer.close();
            }
            if (sender != null) {
                sender.interrupt();
                sender.join(10_000);
            }
            if (monitor != null) {
                monitor.close();
            }
            broker.close();
        }
    }

    private static double records(MonitorApp m) {
        return m.registry().get(LosswatchMetrics.RECORDS).counter().count();
    }

    private static List<String> readCommittedAlerts(String servers) {
        return Committed.alertsUntilQuiet(servers, null, Duration.ofSeconds(3), Duration.ofSeconds(60)).stream()
                .map(a -> a.status() + " " + a.type() + "@" + a.step() + " onset " + a.onsetStep())
                .toList();
    }
}
