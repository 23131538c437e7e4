package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The README's PyTorch example, run for real: Debian's {@code /usr/bin/python3} with {@code python3-torch} and
 * {@code python3-confluent-kafka} trains the small CNN at a learning rate that blows up, against the real
 * broker and monitor, and the monitor's alert for that run is read back.
 */
class PyTorchExampleIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final Path SCRIPT = Path.of("..", "examples", "pytorch", "train_fmnist.py")
            .toAbsolutePath()
            .normalize();
    static final Path PYTHON = Path.of("/usr/bin/python3");

    /** True when the interpreter imports both modules; under CI the test runs regardless, so a missing package fails it. */
    static boolean torchAndKafkaClientInstalled() throws InterruptedException {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch, confluent_kafka")
                    .redirectErrorStream(true)
                    .start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void shouldAlertOnAPyTorchRunWhoseAdamLearningRateIsFarTooHigh() throws Exception {
        if (System.getenv("CI") == null) {
            Assumptions.assumeTrue(
                    torchAndKafkaClientInstalled(),
                    "python3-torch or python3-confluent-kafka is not installed (apt-get install python3-torch python3-confluent-kafka)");
        }
        MonitorConfig config = MonitorConfig.defaults(KAFKA.bootstrapServers())
                .withStateDir(Path.of("target", "streams-" + UUID.randomUUID()));
        try (MonitorApp monitor =
                MonitorApp.start(config, MonitorApp.Options.defaults().withHttp("127.0.0.1", 0))) {
            await().alias("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);

            ProcessBuilder pb = new ProcessBuilder(
                            PYTHON.toString(),
                            SCRIPT.toString(),
                            "--run-id",
                            "it-torch-adam-lr1",
                            "--optimizer",
                            "adam",
                            "--lr",
                            "1.0",
                            "--steps",
                            "30",
                            "--bootstrap-servers",
                            KAFKA.bootstrapServers())
                    .redirectErrorStream(true);
            pb.environment().put("OMP_NUM_THREADS", "1");
            Process python = pb.start();
            String output;
            try {
                assertThat(python.waitFor(180, TimeUnit.SECONDS))
                        .as("the script finishes")
                        .isTrue();
                output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } finally {
                python.destroyForcibly();
            }
            assertThat(python.exitValue()).as(output).isZero();
            assertThat(output).contains("completed after 30 steps; events failed 0");

            List<AlertEvent> alerts = Committed.awaitAlert(
                    KAFKA.bootstrapServers(),
                    "it-torch-adam-lr1",
                    a -> a.status() == AlertStatus.FIRING,
                    Duration.ofSeconds(60));
            AlertEvent first = alerts.stream()
                    .filter(a -> a.status() == AlertStatus.FIRING)
                    .findFirst()
                    .orElseThrow();
            // the loss jumps 2.3 -> 3e5 at step 1: a blow-up (or, as the detectors evolve, growth of loss or gradients)
            assertThat(first.type().name())
                    .isIn(
                            "LOSS_BLOWUP",
                            "LOSS_EXPONENTIAL_GROWTH",
                            "GRADIENT_EXPLOSION",
                            "TRAINING_COLLAPSED",
                            "LOSS_NON_FINITE");
            assertThat(first.onsetStep()).isLessThanOrEqualTo(5);
        }
    }
}
