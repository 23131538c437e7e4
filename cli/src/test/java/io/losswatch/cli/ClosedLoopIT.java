package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import io.losswatch.trainer.FashionMnist;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code losswatch train --on-alert} against the real monitor: the run the closed loop exists for,
 * a LeNet CNN with Adam at learning rate 1.0, which blows up at its first steps.
 */
class ClosedLoopIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static MonitorApp monitor;

    @TempDir
    Path dir;

    @BeforeAll
    static void startMonitor() throws Exception {
        monitor = MonitorApp.start(
                MonitorConfig.defaults(KAFKA.bootstrapServers())
                        .withStateDir(Path.of("target", "streams-" + UUID.randomUUID())),
                MonitorApp.Options.defaults().withHttp("127.0.0.1", -1));
        await().alias("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
    }

    @AfterAll
    static void stopMonitor() {
        if (monitor != null) {
            monitor.close();
        }
    }

    private record Run(int exitCode, String output) {}

    private static Run train(String... args) {
        StringWriter out = new StringWriter();
        picocli.CommandLine cl = TrainCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--bootstrap-servers";
        all[args.length + 1] = KAFKA.bootstrapServers();
        all[args.length + 2] = "--print-every";
        all[args.length + 3] = "5";
        return new Run(cl.execute(all), out.toString());
    }

    @Test
    void shouldRollBackAgainOnTheResumedRunsOwnAlertAndEndHealthyOrSayTheRecoveryFailed() {
        Run run = train(
                "--run-id",
                "loop-rollback",
                "--scenario",
                "lr-adam-too-high",
                "--steps",
                "60",
                "--on-alert",
                "rollback");

        List<String> rollbacks = run.output()
                .lines()
                .filter(l -> l.contains("rolled back to the checkpoint of step"))
                .toList();
        assertThat(rollbacks)
                .as("a second alert, raised on the resumed run, is acted on too:\n" + run.output())
                .hasSizeGreaterThanOrEqualTo(2);
        assertThat(rollbacks.get(0)).contains("learning rate 1 -> 0.1");
        assertThat(rollbacks.get(1)).contains("learning rate 0.1 -> 0.01");
        // the monitor learned of the first rollback: the second alert's onset is after it, not step 1 again
        double firstAt = number(rollbacks.get(0), "at step (\\d+)");
        assertThat(number(rollbacks.get(1), "onset step (\\d+)")).isGreaterThan(firstAt);
        List<AlertEvent> alerts = Committed.alerts(KAFKA.bootstrapServers(), "training.alerts").stream()
                .filter(a -> a.runId().equals("loop-rollback"))
                .toList();
        assertThat(alerts)
                .as("the first rollback resolved what had fired before it")
                .anyMatch(a -> a.status() == AlertStatus.RESOLVED
                        && a.diagnosis().evidence().get(0).startsWith("the run rolled back to the checkpoint of step"));

        double lastLoss = number(run.output(), "last loss ([0-9.e+-]+)");
        if (run.exitCode() == 0) {
            assertThat(run.output()).contains("loop-rollback: recovered after");
            assertThat(lastLoss).as("well below chance level, ln 10 = 2.30").isLessThan(1.5);
        } else {
            assertThat(run.exitCode()).isEqualTo(4);
            assertThat(run.output()).contains("recovery failed");
        }
    }

    @Test
    void shouldStopWithTheWeightsFromBeforeTheBlowUpAndExitThree() throws Exception {
        Run run = train(
                "--run-id",
                "loop-stop",
                "--scenario",
                "lr-adam-too-high",
                "--steps",
                "60",
                "--on-alert",
                "stop",
                "--checkpoint-dir",
                dir.toString());

        assertThat(run.exitCode()).as(run.output()).isEqualTo(3);
        assertThat(run.output()).contains("loop-stop: stopped on a divergence;");
        Path saved;
        try (var files = Files.list(dir)) {
            saved = files.findFirst().orElseThrow();
        }
        assertThat(saved.getFileName().toString()).isEqualTo("loop-stop-step-0.zip");
        // the blow-up left a loss near 20; the weights kept are from before it, at the run's first loss
        MultiLayerNetwork net = ModelSerializer.restoreMultiLayerNetwork(saved.toFile());
        DataSet data = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Part.TRAIN, 512);
        double loss = net.score(data, false);
        double firstLoss = number(run.output(), "step 0 loss ([0-9.]+)");
        assertThat(loss).isCloseTo(firstLoss, org.assertj.core.data.Offset.offset(0.2));
    }

    private static double number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as(regex + " in:\n" + text).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
