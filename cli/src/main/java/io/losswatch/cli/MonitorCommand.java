package io.losswatch.cli;

import io.losswatch.cli.options.AlertsTopicOption;
import io.losswatch.cli.options.DurationConverter;
import io.losswatch.cli.options.KafkaOptions;
import io.losswatch.cli.options.MetricsTopicOption;
import io.losswatch.cli.options.StallAfterOption;
import io.losswatch.cli.options.WebhookOptions;
import io.losswatch.detector.DetectorConfig;
import io.losswatch.events.StartupException;
import io.losswatch.events.Topics;
import io.losswatch.kafka.local.EmbeddedKafka;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.notify.Notifier;
import io.losswatch.notify.NotifierConfig;
import io.losswatch.notify.WebhookTarget;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code losswatch monitor}: runs the monitor in the foreground until Ctrl-C. */
@Command(
        name = "monitor",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
                "Watches training runs on the metrics topic, fits exponential growth of the loss over windows of steps, and writes alerts to the alerts topic. Serves /metrics and /health over HTTP. Without --bootstrap-servers it starts an embedded Kafka broker and prints its address. Every option falls back to an environment variable LOSSWATCH_<OPTION> (such as LOSSWATCH_HTTP_PORT); Kafka client settings pass through as --kafka key=value or LOSSWATCH_KAFKA_<KEY>.")
public final class MonitorCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    KafkaOptions kafkaOptions = new KafkaOptions();

    @Mixin
    MetricsTopicOption metricsTopic = new MetricsTopicOption();

    @Mixin
    AlertsTopicOption alertsTopic = new AlertsTopicOption();

    @Option(
            names = "--embedded-port",
            defaultValue = "${env:LOSSWATCH_EMBEDDED_PORT:-9092}",
            description = "Port of the embedded broker when no --bootstrap-servers is given; a free port "
                    + "is used when it is taken (default: ${DEFAULT-VALUE}).")
    int embeddedPort;

    @Option(
            names = "--application-id",
            defaultValue = "${env:LOSSWATCH_APPLICATION_ID:-" + MonitorConfig.DEFAULT_APPLICATION_ID + "}",
            description = "Kafka Streams application id; instances with the same id share the work "
                    + "(default: ${DEFAULT-VALUE}).")
    String applicationId;

    @Option(
            names = "--dlq-topic",
            defaultValue = "${env:LOSSWATCH_DLQ_TOPIC:-" + Topics.DLQ + "}",
            description = "Where records that fail validation go (default: ${DEFAULT-VALUE}).")
    String dlqTopic;

    @Option(
            names = "--[no-]create-topics",
            defaultValue = "${env:LOSSWATCH_CREATE_TOPICS:-true}",
            negatable = true,
            description = "Create missing topics at start (default: ${DEFAULT-VALUE}).")
    boolean createTopics;

    @Option(
            names = "--partitions",
            defaultValue = "${env:LOSSWATCH_PARTITIONS:-1}",
            description = "Partitions of topics the monitor creates (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
            names = "--state-dir",
            defaultValue = "${env:LOSSWATCH_STATE_DIR:-.losswatch/streams}",
            description = "Where Kafka Streams keeps local state (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(
            names = "--http-host",
            defaultValue = "${env:LOSSWATCH_HTTP_HOST:-0.0.0.0}",
            description = "Address the HTTP endpoint binds to (default: ${DEFAULT-VALUE}).")
    String httpHost;

    @Option(
            names = "--http-port",
            defaultValue = "${env:LOSSWATCH_HTTP_PORT:-9400}",
            description = "Port of /metrics and /health; 0 picks a free one, -1 turns HTTP off "
                    + "(default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Mixin
    StallAfterOption stallAfter = new StallAfterOption();

    @Option(
            names = "--processing-guarantee",
            defaultValue = "${env:LOSSWATCH_PROCESSING_GUARANTEE:-" + StreamsConfig.EXACTLY_ONCE_V2 + "}",
            description = "exactly_once_v2 or at_least_once (default: ${DEFAULT-VALUE}).")
    String processingGuarantee;

    @Option(
            names = "--commit-interval-ms",
            defaultValue = "${env:LOSSWATCH_COMMIT_INTERVAL_MS:-100}",
            description = "How often results are committed; alerts become readable (read_committed) "
                    + "after a commit (default: ${DEFAULT-VALUE}).")
    long commitIntervalMs;

    @Option(
            names = "--threads",
            defaultValue = "${env:LOSSWATCH_THREADS:-1}",
            description = "Stream threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(
            names = "--run-idle-timeout",
            defaultValue = "${env:LOSSWATCH_RUN_IDLE_TIMEOUT:-30m}",
            converter = DurationConverter.class,
            description = "Remove a run's series from /metrics after this long without a step "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration runIdleTimeout;

    @Option(
            names = "--state-retention",
            defaultValue = "${env:LOSSWATCH_STATE_RETENTION:-7d}",
            converter = DurationConverter.class,
            description = "Forget a run's detection state after this long without a step (default: ${DEFAULT-VALUE}).")
    Duration stateRetention;

    @Option(
            names = "--live-state-mb",
            defaultValue = "${env:LOSSWATCH_LIVE_STATE_MB:-0}",
            description = "Heap for the run states kept live, all tasks together: each run is charged what its state "
                    + "takes, 1.7 KB new, up to 4.4 KB once its windows are full (450 keeps 100,000 runs live); past it, the least recently stepped runs are written out and read back "
                    + "from the store at their next step. 0, the default, is a quarter of the heap (-Xmx).")
    long liveStateMb;

    @Option(
            names = "--ceiling",
            defaultValue = "${env:LOSSWATCH_CEILING:-3.4028234663852886E38}",
            description = "Loss value the forecast counts steps to (default: float overflow, ${DEFAULT-VALUE}).")
    double ceiling;

    /** Alert delivery in this process, when a --webhook or --webhook-config is given. */
    @Mixin
    WebhookOptions webhooks = new WebhookOptions();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!processingGuarantee.equals(StreamsConfig.EXACTLY_ONCE_V2)
                && !processingGuarantee.equals(StreamsConfig.AT_LEAST_ONCE)) {
            err.println("--processing-guarantee must be exactly_once_v2 or at_least_once, not '" + processingGuarantee
                    + "'.");
            return 2;
        }
        if (partitions < 1 || threads < 1) {
            err.println("--partitions and --threads must be at least 1.");
            return 2;
        }
        if (stallAfter.problem() != null) {
            err.println(stallAfter.problem());
            return 2;
        }
        List<WebhookTarget> targets;
        try {
            targets = webhooks.targets(System.getenv());
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        }
        EmbeddedKafka embedded = null;
        String servers = kafkaOptions.given();
        if (servers == null) {
            try {
                embedded = startEmbedded();
            } catch (RuntimeException e) {
                err.println("Cannot start the embedded Kafka broker: " + e.getMessage());
                return 2;
            }
            servers = embedded.bootstrapServers();
            out.println("embedded Kafka broker: bootstrap.servers=" + servers);
        }
        MonitorConfig config;
        NotifierConfig notifierConfig = null;
        try {
            config = new MonitorConfig(
                    servers,
                    applicationId,
                    metricsTopic.topic(),
                    alertsTopic.topic(),
                    dlqTopic,
                    stateDir.toAbsolutePath(),
                    processingGuarantee,
                    commitIntervalMs,
                    threads,
                    kafkaOptions.settings(),
                    DetectorConfig.defaults().withCeiling(ceiling),
                    runIdleTimeout,
                    stateRetention,
                    liveStateMb << 20);
            if (!targets.isEmpty()) {
                notifierConfig = webhooks.config(servers, config.kafka(), alertsTopic.topic(), targets);
            }
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            closeQuietly(embedded);
            return 2;
        }
        MonitorApp app;
        try {
            app = MonitorApp.start(
                    config,
                    new MonitorApp.Options(httpHost, httpPort, createTopics, partitions, 10, stallAfter.value()));
        } catch (StartupException e) {
            err.println(e.getMessage());
            closeQuietly(embedded);
            return 2;
        }
        Notifier notifier = notifierConfig == null ? null : Notifier.start(notifierConfig, app.registry());
        if (notifier != null) {
            app.brokerWatch().watchDelivery(notifierConfig, stallAfter.value());
        }
        out.printf(
                "losswatch monitor: reading %s from %s, alerts to %s%s%n",
                metricsTopic.topic(),
                servers,
                alertsTopic.topic(),
                app.httpPort() > 0 ? ", metrics at http://" + displayHost() + ":" + app.httpPort() + "/metrics" : "");
        // the default is relative to the working directory: say where it is, so a second instance can pick another
        out.println("state in " + config.stateDir().toAbsolutePath());
        if (notifier != null) {
            out.println("delivering alerts to " + notifierConfig.targets());
        }
        out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        EmbeddedKafka broker = embedded;
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            if (notifier != null) {
                                notifier.close();
                            }
                            app.close();
                            closeQuietly(broker);
                            stopped.countDown();
                        },
                        "losswatch-shutdown"));
        stopped.await();
        return 0;
    }

    private String displayHost() {
        return httpHost.equals("0.0.0.0") ? "127.0.0.1" : httpHost;
    }

    private EmbeddedKafka startEmbedded() {
        EmbeddedKafka.Config c = EmbeddedKafka.Config.defaults();
        try {
            return EmbeddedKafka.start(c.withPort(embeddedPort));
        } catch (RuntimeException e) {
            return EmbeddedKafka.start(c); // the usual port is taken: any free one will do
        }
    }

    private static void closeQuietly(EmbeddedKafka k) {
        if (k != null) {
            try {
                k.close();
            } catch (RuntimeException ignored) {
                // shutting down anyway
            }
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new MonitorCommand()).execute(args));
    }
}
