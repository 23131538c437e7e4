package io.losswatch.cli.plot;

import io.losswatch.cli.options.AlertsTopicOption;
import io.losswatch.cli.options.KafkaOptions;
import io.losswatch.cli.options.MetricsTopicOption;
import io.losswatch.events.KafkaPreflight;
import io.losswatch.events.StartupException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code losswatch plot}: a PNG of one run's loss, its fitted growth and its alerts, read from the topics. */
@Command(
        name = "plot",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Reads one run's step events and alerts from the topics and draws its loss and validation "
                + "loss on a log axis, with the growth fit of an exponential-growth alert and every alert numbered "
                + "and named below the chart, as a PNG.")
public final class PlotCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafkaOptions = new KafkaOptions();

    @Mixin
    MetricsTopicOption metricsTopicOption = new MetricsTopicOption();

    @Mixin
    AlertsTopicOption alertsTopicOption = new AlertsTopicOption();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--run-id", required = true, description = "The run to draw.")
    String runId;

    @Option(names = "--out", defaultValue = "run.png", description = "PNG file to write (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--width", defaultValue = "1000", description = "Pixels (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--height", defaultValue = "560", description = "Pixels (default: ${DEFAULT-VALUE}).")
    int height;

    @Option(
            names = "--timeout",
            defaultValue = "15s",
            converter = io.losswatch.cli.options.DurationConverter.class,
            description = "How long to wait for Kafka (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** How long the broker has to answer before plot says it is not there. */
    static final int PREFLIGHT_SECONDS = 5;

    static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    @Override
    public Integer call() throws Exception {
        System.setProperty("java.awt.headless", "true");
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        if (width < 200 || height < 150) {
            err.println("--width and --height must be at least 200 x 150 pixels.");
            return 2;
        }
        String bootstrapServers = kafkaOptions.bootstrapServers();
        String metricsTopic = metricsTopicOption.topic();
        try {
            // a missing broker answers in seconds here, not after the consumer's --timeout
            KafkaPreflight.check(bootstrapServers, kafkaOptions.settings(), Map.of(), Set.of(), PREFLIGHT_SECONDS);
        } catch (StartupException e) {
            err.println(e.getMessage());
            return 2;
        }
        RunHistory run;
        try {
            run = RunHistory.read(
                    bootstrapServers, kafkaOptions.settings(), metricsTopic, alertsTopicOption.topic(), runId, timeout);
        } catch (KafkaException e) {
            err.println("Cannot read the topics from " + bootstrapServers + " (" + e.getMessage()
                    + "): check --bootstrap-servers and that the broker is up.");
            return 2;
        }
        if (run.steps().isEmpty()) {
            err.println("No step events for run '" + runId + "' on " + metricsTopic + " at " + bootstrapServers
                    + ": check --run-id (the record key) and --bootstrap-servers.");
            return 2;
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (OutputStream os = Files.newOutputStream(out)) {
            LossChart.writePng(run, os, width, height);
        }
        stdout.printf(
                "Wrote %s: run %s, %s, %s.%n",
                out,
                runId,
                count(run.steps().size(), "step"),
                count(run.alerts().size(), "alert event"));
        return 0;
    }
}
