package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.client.MetricsPublisher;
import io.losswatch.client.attach.Attacher;
import io.losswatch.client.attach.LogFormat;
import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code losswatch attach} against a real broker: files that grow, get rotated, in the shapes Keras and Lightning write. */
class AttachIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path dir;

    @BeforeAll
    static void createTopic() {
        KAFKA.createTopic(Topics.METRICS, 3);
    }

    private static List<StepEvent> readSteps(String runId, int count) {
        List<StepEvent> events = new ArrayList<>();
        // anything sent twice arrives right behind: read for a while after the last expected one
        for (var r : Committed.records(
                KAFKA.bootstrapServers(),
                Map.of(),
                Topics.METRICS,
                runId,
                count,
                Duration.ofMillis(500),
                Duration.ofSeconds(60))) {
            events.add(parse(r.value()));
        }
        return events;
    }

    private static StepEvent parse(byte[] value) {
        try {
            return EventJson.parseStep(value);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void append(Path file, String text) throws Exception {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static String kerasRow(int epoch) {
        return String.format(
                Locale.ROOT,
                "%d,%.4f,0.0010000000474974513,%.6f,%.4f,%.6f%n",
                epoch,
                0.7 + 0.02 * epoch,
                0.6 * Math.pow(0.9, epoch),
                0.8,
                0.5 * Math.pow(0.95, epoch));
    }

    @Test
    void shouldPublishEveryEpochOfAGrowingKerasLogThatIsRotatedHalfway() throws Exception {
        Path log = dir.resolve("training.log");
        String header = "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss\n";
        append(log, header + kerasRow(0));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (MetricsPublisher publisher =
                new MetricsPublisher(KAFKA.bootstrapServers(), Topics.METRICS, Map.of("linger.ms", "1"))) {
            Attacher attacher = new Attacher(
                            log, LogFormat.KERAS_CSV.parser("it-keras", Map.of(), null), true, publisher::offer)
                    .pollInterval(Duration.ofMillis(20))
                    .console(s -> {});
            Future<?> running = pool.submit(() -> {
                attacher.run(true);
                return null;
            });
            for (int epoch = 1; epoch < 5; epoch++) {
                append(log, kerasRow(epoch));
                int published = epoch + 1;
                await().alias("epoch " + epoch + " published")
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> attacher.published() >= published);
            }
            // logrotate's default: rename, then the trainer opens a new file with a new header
            Files.move(log, dir.resolve("training.log.1"));
            append(dir.resolve("training.log.1"), kerasRow(5));
            append(log, header + kerasRow(6) + kerasRow(7));
            await().alias("the rotated-away row and the new file are published")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> attacher.published() >= 8);
            attacher.stop();
            running.get();
            assertThat(attacher.restarts()).isEqualTo(1);
            assertThat(attacher.badLines()).isZero();
        } finally {
            pool.shutdownNow();
        }

        List<StepEvent> events = readSteps("it-keras", 8);
        assertThat(events).extracting(StepEvent::step).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(events.get(3).valLoss())
                .isEqualTo(0.5 * Math.pow(0.95, 3), org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void shouldPublishALightningMetricsFileFromTheCommandLine() throws Exception {
        Path csv = dir.resolve("metrics.csv");
        // the same file the client's parser tests read, as Lightning's CSVLogger writes it
        Files.copy(Path.of("..", "client", "src", "test", "resources", "attach", "lightning_metrics.csv"), csv);
        StringWriter out = new StringWriter();
        picocli.CommandLine cl = AttachCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));

        int code = cl.execute(
                "--file",
                csv.toString(),
                "--format",
                "lightning-csv",
                "--run-id",
                "it-lightning",
                "--label",
                "optimizer=adam",
                "--no-follow",
                "--bootstrap-servers",
                KAFKA.bootstrapServers(),
                "--kafka",
                "linger.ms=1");

        assertThat(code).as(out.toString()).isZero();
        assertThat(out.toString()).contains("10 events published (10 sent, 0 dropped, 0 failed)");
        List<StepEvent> events = readSteps("it-lightning", 10);
        assertThat(events).extracting(StepEvent::step).containsExactly(9L, 19L, 29L, 39L, 49L, 59L, 69L, 79L, 89L, 99L);
        assertThat(events.get(4).valLoss()).isEqualTo(0.5932145714759827);
        assertThat(events).allSatisfy(e -> assertThat(e.labels()).containsEntry("optimizer", "adam"));
    }

    @Test
    void shouldSayInOneSentenceWhenTheFileIsMissing() {
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = AttachCommand.commandLine();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));

        int code = cl.execute(
                "--file",
                dir.resolve("nope.csv").toString(),
                "--format",
                "keras-csv",
                "--run-id",
                "x",
                "--no-follow",
                "--bootstrap-servers",
                KAFKA.bootstrapServers());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString().strip()).startsWith("No file ").endsWith("(drop --no-follow).");
    }
}
