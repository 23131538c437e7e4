package io.losswatch.cli;

import io.losswatch.cli.options.KafkaOptions;
import io.losswatch.cli.options.MetricsTopicOption;
import io.losswatch.client.MetricsPublisher;
import io.losswatch.client.attach.Attacher;
import io.losswatch.client.attach.LogFormat;
import io.losswatch.events.KafkaPreflight;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code losswatch attach}: follows a trainer's log file and publishes each row as a step event. */
@Command(
        name = "attach",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Follow a training log file as it grows (like tail -F: waits for new lines, survives rotation "
                    + "and truncation) and publish each row as a step event to Kafka.",
            "Formats: keras-csv (Keras CSVLogger, one row per epoch), lightning-csv (PyTorch Lightning CSVLogger "
                    + "metrics.csv), jsonl (one step event per line)."
        })
public final class AttachCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafkaOptions = new KafkaOptions();

    @Mixin
    MetricsTopicOption metricsTopic = new MetricsTopicOption();

    @Spec
    CommandSpec spec;

    @Option(
            names = "--file",
            required = true,
            paramLabel = "PATH",
            description = "The log file. It may not exist yet when following.")
    Path file;

    @Option(
            names = "--format",
            required = true,
            paramLabel = "FORMAT",
            description = "keras-csv, lightning-csv or jsonl.")
    String format;

    @Option(
            names = "--run-id",
            description = "Run id on every event: 1-128 of [A-Za-z0-9._:/-]. Required for the CSV "
                    + "formats; for jsonl it fills in lines without a run_id.")
    String runId;

    @Option(
            names = "--label",
            paramLabel = "KEY=VALUE",
            description =
                    "A label on every event, repeatable: --label optimizer=sgd --label num_classes=10 help the diagnosis.")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(
            names = "--loss-column",
            paramLabel = "NAME",
            description = "The training-loss column of a CSV file. Default: loss (Keras); train_loss_step, train_loss, "
                    + "loss_step, loss, train_loss_epoch (Lightning), the first present.")
    String lossColumn;

    @Option(
            names = "--from-beginning",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Publish the rows already in the file (the monitor ignores steps it already has). "
                    + "--no-from-beginning starts at the end. Default: from the beginning.")
    boolean fromBeginning;

    @Option(
            names = "--follow",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description =
                    "Keep following the file until Ctrl-C. --no-follow publishes what is there and exits. Default: follow.")
    boolean follow;

    @Option(
            names = "--poll-ms",
            defaultValue = "200",
            description = "How often to look at a file that has not grown. Default: ${DEFAULT-VALUE}.")
    long pollMillis;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LogFormat logFormat;
        try {
            logFormat = LogFormat.parse(format);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (runId == null && logFormat != LogFormat.JSONL) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--run-id is required for " + logFormat.label());
        }
        if (runId != null && !runId.matches("[A-Za-z0-9._:/-]{1,128}")) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--run-id must be 1-128 characters of letters, digits and . _ : / -, got '" + runId + "'");
        }
        if (pollMillis <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--poll-ms must be > 0");
        }
        if (!follow && !Files.isRegularFile(file)) {
            err.println("No file " + file + ": check --file, or follow it until it appears (drop --no-follow).");
            return TrainCommand.EXIT_USAGE;
        }
        Map<String, String> kafkaProps = kafkaOptions.settings();
        String bootstrapServers = kafkaOptions.bootstrapServers();
        String topic = metricsTopic.topic();
        String problem =
                KafkaPreflight.producerProblem(bootstrapServers, topic, kafkaProps, TrainCommand.REACHABILITY_TIMEOUT);
        if (problem != null) {
            err.println(problem);
            return TrainCommand.EXIT_USAGE;
        }
        out.printf(
                "attach: %s %s as %s -> %s at %s%s%n",
                logFormat.label(),
                file,
                runId == null ? "(run ids from the lines)" : runId,
                topic,
                bootstrapServers,
                follow ? "; following until Ctrl-C" : "");
        out.flush();
        try (MetricsPublisher publisher = new MetricsPublisher(bootstrapServers, topic, kafkaProps)) {
            Attacher attacher = new Attacher(
                            file, logFormat.parser(runId, labels, lossColumn), fromBeginning, publisher::offer)
                    .pollInterval(Duration.ofMillis(pollMillis))
                    // skipped lines and restarted files are warnings: stdout stays the record of what was sent
                    .console(line -> {
                        err.println(line);
                        err.flush();
                    });
            CountDownLatch finished = new CountDownLatch(1);
            Thread hook = new Thread(
                    () -> {
                        attacher.stop();
                        try {
                            finished.await(MetricsPublisher.DEFAULT_CLOSE_TIMEOUT.toSeconds() + 2, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    },
                    "losswatch-attach-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                attacher.run(follow);
                publisher.flush();
                out.printf(
                        "attach: %d events published (%d sent, %d dropped, %d failed), %d rows already sent skipped, "
                                + "%d bad lines, %d restarts of the file%n",
                        attacher.published(),
                        publisher.sentCount(),
                        publisher.droppedCount(),
                        publisher.failedCount(),
                        attacher.duplicates(),
                        attacher.badLines(),
                        attacher.restarts());
                out.flush();
            } finally {
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running already
                }
            }
        }
        return 0;
    }

    /** Builds the command line with one-sentence errors for bad flags. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new AttachCommand());
        cl.setParameterExceptionHandler((e, args) -> {
            e.getCommandLine().getErr().println(e.getMessage() + " (see 'attach --help')");
            e.getCommandLine().getErr().flush();
            return TrainCommand.EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("attach failed: " + KafkaPreflight.rootMessage(e));
            c.getErr().flush();
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
