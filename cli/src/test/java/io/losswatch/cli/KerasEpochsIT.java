package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.monitor.LosswatchMetrics;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import io.micrometer.core.instrument.Counter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-epoch logs end to end: Keras {@code CSVLogger} files of a diverging and of a healthy run,
 * published by {@code losswatch attach} to a real broker and judged by the real monitor. One row an
 * epoch, so a run is tens of points: the diverging run must be alerted as growing within 5 epochs of
 * the epoch its loss turned up, never as overfitting while its training loss climbs, and the healthy
 * run not at all.
 */
class KerasEpochsIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final String HEADER = "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss\n";
    static final int EPOCHS = 30;
    /** The last epoch the diverging run's training loss fell: from the next on it climbs. */
    static final int TURN = 7;

    @TempDir
    Path dir;

    /**
     * A small CNN on a 10-class problem with SGD at a rate that is fine at first: the loss falls from
     * about 1.6 to 0.75 by epoch 7, then climbs 8% an epoch, faster as it goes (0.75 to 1.5 by epoch
     * 15, tens by the end), the validation loss with it, the accuracy falling back towards chance.
     */
    static String divergingCsv() {
        Random r = new Random(18);
        StringBuilder csv = new StringBuilder(HEADER);
        double lnTurn = Math.log(0.6 + 1.0 * Math.exp(-TURN / 3.0));
        for (int ep = 0; ep < EPOCHS; ep++) {
            double ln = ep <= TURN
                    ? Math.log(0.6 + 1.0 * Math.exp(-ep / 3.0))
                    : lnTurn + 0.08 * (ep - TURN) + 0.006 * (ep - TURN) * (ep - TURN);
            double loss = Math.exp(ln + 0.01 * r.nextGaussian());
            double val = Math.exp(ln + Math.log(1.12) + 0.015 * r.nextGaussian());
            csv.append(row(ep, accuracy(loss), 0.05, loss, accuracy(val), val));
        }
        return csv.toString();
    }

    /**
     * The same CNN with Adam at 1e-3 and dropout: the loss falls from about 1.7 towards 0.45, the
     * validation loss flattens near 0.75 and wobbles by a percent or two; the rate drops 10x at epoch
     * 20, where the loss takes a small step down.
     */
    static String healthyCsv() {
        Random r = new Random(81);
        StringBuilder csv = new StringBuilder(HEADER);
        for (int ep = 0; ep < EPOCHS; ep++) {
            double lr = ep < 20 ? 1e-3 : 1e-4;
            double step = ep < 20 ? 1 : 0.93;
            double loss = (0.45 + 1.25 * Math.exp(-ep / 5.0)) * step * Math.exp(0.012 * r.nextGaussian());
            double val = (0.74 + 0.6 * Math.exp(-ep / 4.0)) * Math.exp(0.015 * r.nextGaussian());
            csv.append(row(ep, accuracy(loss), lr, loss, accuracy(val), val));
        }
        return csv.toString();
    }

    /** Accuracy of a 10-class classifier at that cross-entropy: about 0.1 at ln 10, about 0.85 at 0.45. */
    private static double accuracy(double loss) {
        return 0.1 + 0.9 * Math.exp(-1.4 * loss);
    }

    private static String row(int epoch, double acc, double lr, double loss, double valAcc, double val) {
        return String.format(Locale.ROOT, "%d,%.4f,%s,%.4f,%.4f,%.4f%n", epoch, acc, lr, loss, valAcc, val);
    }

    private String attach(Path csv, String runId) {
        StringWriter out = new StringWriter();
        picocli.CommandLine cl = AttachCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        int code = cl.execute(
                "--file",
                csv.toString(),
                "--format",
                "keras-csv",
                "--run-id",
                runId,
                "--no-follow",
                "--bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--kafka",
                "linger.ms=1");
        assertThat(code).as(out.toString()).isZero();
        return out.toString();
    }

    @Test
    void shouldAlertOnAPerEpochKerasRunWithinFiveEpochsOfItsTurnAndNotOnAHealthyOne() throws Exception {
        Path diverging = dir.resolve("diverging.csv");
        Path healthy = dir.resolve("healthy.csv");
        Files.writeString(diverging, divergingCsv(), StandardCharsets.UTF_8);
        Files.writeString(healthy, healthyCsv(), StandardCharsets.UTF_8);

        MonitorConfig config = MonitorConfig.defaults(KAFKA.bootstrapServers())
                .withStateDir(Path.of("target", "streams-" + UUID.randomUUID()));
        try (MonitorApp monitor =
                MonitorApp.start(config, MonitorApp.Options.defaults().withHttp("127.0.0.1", -1))) {
            await().alias("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);

            assertThat(attach(healthy, "keras-healthy")).contains(EPOCHS + " events published");
            assertThat(attach(diverging, "keras-diverging")).contains(EPOCHS + " events published");

            List<AlertEvent> alerts = new ArrayList<>(Committed.awaitAlert(
                    KAFKA.bootstrapServers(),
                    "keras-diverging",
                    a -> a.status() == AlertStatus.FIRING
                            && (a.type() == AlertType.LOSS_EXPONENTIAL_GROWTH || a.type() == AlertType.LOSS_BLOWUP),
                    Duration.ofSeconds(60)));
            AlertEvent growth = alerts.stream()
                    .filter(a -> a.type() == AlertType.LOSS_EXPONENTIAL_GROWTH || a.type() == AlertType.LOSS_BLOWUP)
                    .findFirst()
                    .orElseThrow();
            assertThat(growth.onsetStep()).as("the low point before the climb").isBetween(TURN - 1L, TURN + 1L);
            assertThat(growth.step() - TURN)
                    .as("epochs from the turn to the alert")
                    .isBetween(1L, 5L);

            Counter records = monitor.registry().find(LosswatchMetrics.RECORDS).counter();
            await().alias("the monitor has read every epoch of both runs")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> records != null && records.count() >= 2 * EPOCHS);
            alerts.addAll(Committed.alertsDuring(KAFKA.bootstrapServers(), "keras-diverging", Duration.ofSeconds(3)));
            assertThat(alerts)
                    .as("the training loss climbs: not overfitting")
                    .noneMatch(a -> a.type() == AlertType.VALIDATION_DIVERGENCE);
            assertThat(Committed.alertsDuring(KAFKA.bootstrapServers(), "keras-healthy", Duration.ofSeconds(3)))
                    .isEmpty();
        }
    }
}
