package io.losswatch.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.testsupport.KafkaBrokerExtension;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The README's promise for trainers that are not Java: step events written with kcat in the documented
 * schema yield an alert that kcat reads back. Runs the real kcat binary (Debian package {@code kcat}).
 */
class KcatIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static boolean kcatInstalled() {
        return new File("/usr/bin/kcat").canExecute();
    }

    @Test
    void shouldAlertOnEventsWrittenWithKcatAndLetKcatReadTheAlert() throws Exception {
        if (System.getenv("CI") == null) {
            Assumptions.assumeTrue(kcatInstalled(), "kcat is not installed (apt-get install kcat)");
        }
        MonitorConfig config = MonitorConfig.defaults(KAFKA.bootstrapServers())
                .withStateDir(Path.of("target", "streams-" + UUID.randomUUID()));
        try (MonitorApp monitor =
                MonitorApp.start(config, MonitorApp.Options.defaults().withHttp("127.0.0.1", -1))) {
            await().alias("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);

            // exactly the README's shape: one "run_id:json" line per step, -K: splits key and value
            StringBuilder lines = new StringBuilder();
            for (int step = 0; step < 60; step++) {
                double loss = 0.5 * Math.exp(0.12 * step);
                lines.append(String.format(
                        Locale.ROOT,
                        "kcat-run:{\"schema\":1,\"run_id\":\"kcat-run\",\"step\":%d,\"loss\":%.6f}%n",
                        step,
                        loss));
            }
            lines.append("kcat-run:{\"schema\":1,\"run_id\":\"kcat-run\",\"step\":60,\"loss\":NaN}\n");
            Path input = Files.createTempFile("kcat-steps", ".txt");
            Files.writeString(input, lines.toString());
            Process produce = new ProcessBuilder(
                            "kcat",
                            "-P",
                            "-b",
                            KAFKA.bootstrapServers(),
                            "-t",
                            "training.metrics",
                            "-K:",
                            "-l",
                            input.toString())
                    .redirectErrorStream(true)
                    .start();
            assertThat(produce.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(produce.exitValue()).as(output(produce)).isZero();

            await().alias("kcat reads both alerts of kcat-run from training.alerts")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        String alerts = consume();
                        return alerts.contains("\"type\":\"LOSS_EXPONENTIAL_GROWTH\"")
                                && alerts.contains("\"type\":\"LOSS_NON_FINITE\"")
                                && alerts.contains("\"run_id\":\"kcat-run\"");
                    });
            Files.deleteIfExists(input);
        }
    }

    private static String consume() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(
                        "kcat",
                        "-C",
                        "-b",
                        KAFKA.bootstrapServers(),
                        "-t",
                        "training.alerts",
                        "-o",
                        "beginning",
                        "-e",
                        "-q",
                        "-X",
                        "isolation.level=read_committed")
                .start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "";
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static String output(Process p) throws IOException {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
