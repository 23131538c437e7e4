package io.losswatch.systemtests.reliability;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.monitor.reliability.BadInputTest;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor as a process of its own, killed with SIGKILL in the middle of a diverging run and
 * started again: the run's window state comes back, the alert fires at the same step as without the
 * crash, and read_committed consumers of the alerts topic see it once.
 */
class CrashRecoveryIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final String RUN = "crash-run";
    private static final int STEPS = 260;
    private static final int ONSET = 100;

    @TempDir
    Path tmp;

    static StepEvent step(int i) {
        double loss = i < ONSET ? 2.3 * Math.exp(-0.005 * i) : 2.3 * Math.exp(-0.5) * Math.exp(0.08 * (i - ONSET));
        return StepEvent.of(RUN, i, loss).withLearningRate(0.5).withGradNorm(1.0 + 0.01 * i);
    }

    /** The alerts of the same steps without a crash: the production topology in TopologyTestDriver. */
    private List<String> withoutCrash() {
        try (BadInputTest.Harness h = new BadInputTest.Harness(tmp.resolve("reference"))) {
            for (int i = 0; i < STEPS; i++) {
                h.send(step(i));
            }
            return h.alertsOf(RUN);
        }
    }

    private static String describe(AlertEvent a) {
        return a.status() + " " + a.type() + "@" + a.step() + " onset " + a.onsetStep();
    }

    @Test
    void shouldFireAtTheSameStepAndOnlyOnceWhenTheMonitorIsKilledMidRun() throws Exception {
        List<String> expected = withoutCrash();
        assertThat(expected).as("the reference run alerts").isNotEmpty();
        long firingStep = Long.parseLong(expected.get(0).replaceAll(".*@(\\d+) .*", "$1"));

        Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve("crash-" + UUID.randomUUID() + ".log");
        String[] args = {
            "--bootstrap-servers",
            KAFKA.bootstrapServers(),
            "--state-dir",
            tmp.resolve("state").toString(),
            // a killed member leaves the group after this; the default 45 s would only slow the test
            "--kafka",
            "session.timeout.ms=6000",
            "--kafka",
            "heartbeat.interval.ms=1000"
        };
        MonitorProcess first = MonitorProcess.start(log, args);
        MonitorProcess second = null;
        PacedTrainer trainer = null;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        KAFKA.bootstrapServers(),
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            first.awaitHealthy(Duration.ofSeconds(90));
            // the trainer keeps publishing at its own pace, crash or not
            trainer = new PacedTrainer(
                    STEPS,
                    Duration.ofMillis(40),
                    i -> producer.send(
                            new ProducerRecord<>(Topics.METRICS, RUN.getBytes(UTF_8), EventJson.writeStep(step(i)))),
                    producer::flush);

            // kill it after the growth began but before it is confirmed: the window straddles the crash
            long killAt = ONSET + (firingStep - ONSET) / 2;
            await().alias("monitor has processed step " + killAt)
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> first.metric("losswatch_step{run_id=\"" + RUN + "\"}")
                                    .orElse(-1)
                            >= killAt);
            first.kill();
            assertThat(first.isAlive()).isFalse();

            second = MonitorProcess.start(log, args).awaitHealthy(Duration.ofSeconds(90));
            MonitorProcess restarted = second;
            await().alias("restarted monitor has processed the whole run")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> restarted
                                    .metric("losswatch_step{run_id=\"" + RUN + "\"}")
                                    .orElse(-1)
                            >= STEPS - 1);
            assertThat(trainer.awaitDone(Duration.ofSeconds(60)))
                    .as("the trainer published every step")
                    .isTrue();
            assertThat(trainer.error()).isNull();

            List<AlertEvent> alerts = Committed.alertsUntilQuiet(
                    KAFKA.bootstrapServers(), RUN, Duration.ofSeconds(3), Duration.ofSeconds(60));
            assertThat(alerts).extracting(CrashRecoveryIT::describe).isEqualTo(expected);
            assertThat(alerts)
                    .filteredOn(a -> a.status() == AlertStatus.FIRING && a.type() == AlertType.LOSS_EXPONENTIAL_GROWTH)
                    .as("one firing, no duplicate from the replayed records")
                    .hasSize(1);
        } finally {
            if (trainer != null) {
                trainer.close();
            }
            first.close();
            if (second != null) {
                second.close();
            }
        }
    }
}
