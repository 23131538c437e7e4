package io.losswatch.cli.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.cli.Main;
import io.losswatch.events.AlertType;
import io.losswatch.events.Topics;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.testsupport.KafkaBrokerExtension;
import io.losswatch.trainer.Architecture;
import io.losswatch.trainer.LeNet;
import io.losswatch.trainer.TrainConfig;
import io.losswatch.trainer.Trainer;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/** {@code losswatch plot} on a real run: a linear model whose loss grows exponentially, alerted by the monitor. */
class PlotCommandIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final String RUN = "plot-exponential-linear";

    @Test
    void shouldWriteAPngOfARealDivergingRunWithItsAlert() throws Exception {
        String servers = KAFKA.bootstrapServers();
        try (MonitorApp monitor = MonitorApp.start(
                MonitorConfig.defaults(servers).withStateDir(Path.of("target", "streams-" + UUID.randomUUID())),
                MonitorApp.Options.defaults().withHttp("127.0.0.1", -1))) {
            await().alias("monitor's Streams client is running")
                    .atMost(Duration.ofSeconds(60))
                    .until(monitor::isRunning);
            new Trainer(TrainConfig.defaults(RUN)
                            .withOptimizer(LeNet.Optimizer.SGD, 0.1)
                            .withModel(Architecture.LINEAR, null)
                            .withSteps(100)
                            .withData(Path.of("/usr/share/datasets/fashion-mnist"), 2000)
                            .withKafka(servers, Topics.METRICS, Map.of()))
                    .run();
            await().alias("the run's growth alert is on the alerts topic")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> RunHistory.read(
                                    servers, Map.of(), Topics.METRICS, Topics.ALERTS, RUN, Duration.ofSeconds(10))
                            .alerts()
                            .stream()
                            .anyMatch(a -> a.type() == AlertType.LOSS_EXPONENTIAL_GROWTH));
        }

        Path png = Path.of("target", "plot-it", "run.png");
        Files.deleteIfExists(png);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("plot", "--run-id", RUN, "--out", png.toString(), "--bootstrap-servers", servers);

        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("Wrote").contains("100 steps");
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img).as("a PNG ImageIO can decode").isNotNull();
        assertThat(img.getWidth()).isEqualTo(1000);
        assertThat(img.getHeight()).isEqualTo(560);
        assertThat(Files.size(png)).as("a chart, not a blank canvas").isGreaterThan(20_000);
    }

    @Test
    void shouldSayWhatToDoWhenTheRunHasNoEvents() {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(
                "plot",
                "--run-id",
                "no-such-run",
                "--out",
                "target/plot-it/none.png",
                "--bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--timeout",
                "5s");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString())
                .contains("No step events for run 'no-such-run'")
                .doesNotContain("Exception");
    }

    @Test
    void shouldSayInOneSentenceAndWithinSecondsThatNoBrokerIsThere() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        long started = System.nanoTime();
        int code = cl.execute(
                "plot",
                "--run-id",
                RUN,
                "--out",
                "target/plot-it/none.png",
                "--bootstrap-servers",
                "127.0.0.1:" + port);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).doesNotContain("\n").doesNotContain("Exception");
        assertThat(took).isLessThan(Duration.ofSeconds(PlotCommand.PREFLIGHT_SECONDS + 3));
    }
}
