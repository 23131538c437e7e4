package io.losswatch.cli;

import io.losswatch.cli.options.AlertsTopicOption;
import io.losswatch.cli.options.KafkaOptions;
import io.losswatch.cli.options.StallAfterOption;
import io.losswatch.cli.options.WebhookOptions;
import io.losswatch.events.KafkaPreflight;
import io.losswatch.events.StartupException;
import io.losswatch.notify.BrokerWatch;
import io.losswatch.notify.Notifier;
import io.losswatch.notify.NotifierConfig;
import io.losswatch.notify.ServiceHttpServer;
import io.losswatch.notify.WebhookTarget;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code losswatch notify}: alert delivery alone, in the foreground until Ctrl-C. */
@Command(
        name = "notify",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Delivers alerts from the alerts topic to webhooks (generic JSON, Alertmanager, Slack), each "
                + "target with its own retries and its own position on the topic, at least once. The monitor does "
                + "the same when given --webhook; this runs it on its own. Serves /metrics and /health.")
public final class NotifyCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    KafkaOptions kafkaOptions = new KafkaOptions();

    @Mixin
    AlertsTopicOption alertsTopicOption = new AlertsTopicOption();

    @Mixin
    WebhookOptions webhooks = new WebhookOptions();

    @Option(
            names = "--http-host",
            paramLabel = "HOST",
            defaultValue = "${env:LOSSWATCH_NOTIFY_HTTP_HOST:-0.0.0.0}",
            description = "Address of /metrics and /health (default: ${DEFAULT-VALUE}).")
    String httpHost;

    @Option(
            names = "--http-port",
            paramLabel = "PORT",
            defaultValue = "${env:LOSSWATCH_NOTIFY_HTTP_PORT:-9401}",
            description = "Port of /metrics and /health; 0 picks a free one, -1 turns HTTP off "
                    + "(default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Mixin
    StallAfterOption stallAfter = new StallAfterOption();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (stallAfter.problem() != null) {
            err.println(stallAfter.problem());
            return 2;
        }
        Map<String, String> settings = kafkaOptions.settings();
        String bootstrapServers = kafkaOptions.bootstrapServers();
        String alertsTopic = alertsTopicOption.topic();
        NotifierConfig config;
        try {
            List<WebhookTarget> targets = webhooks.targets(System.getenv());
            if (targets.isEmpty()) {
                err.println("Nothing to deliver to: give --webhook URL (repeatable) or --webhook-config FILE.");
                return 2;
            }
            config = webhooks.config(bootstrapServers, settings, alertsTopic, targets);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        }
        try {
            KafkaPreflight.check(bootstrapServers, settings, Map.of(), Set.of(), 10);
        } catch (StartupException e) {
            err.println(e.getMessage());
            return 2;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        Notifier notifier = Notifier.start(config, registry);
        BrokerWatch broker =
                BrokerWatch.start("notifier", bootstrapServers, settings).watchDelivery(config, stallAfter.value());
        ServiceHttpServer http = null;
        if (httpPort >= 0) {
            try {
                http = new ServiceHttpServer(
                        httpHost,
                        httpPort,
                        registry,
                        notifier::isRunning,
                        () -> notifier.isRunning() ? "RUNNING" : "DEGRADED",
                        broker);
            } catch (IOException e) {
                broker.close();
                notifier.close();
                err.println("Cannot listen on " + httpHost + ":" + httpPort + " (" + e.getMessage()
                        + "): pick another --http-port.");
                return 2;
            }
        }
        out.printf(
                "losswatch notify: delivering %s from %s to %s%s%n",
                alertsTopic,
                bootstrapServers,
                config.targets(),
                http != null
                        ? ", metrics at http://" + (httpHost.equals("0.0.0.0") ? "127.0.0.1" : httpHost) + ":"
                                + http.port() + "/metrics"
                        : "");
        out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        ServiceHttpServer server = http;
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            if (server != null) {
                                server.close();
                            }
                            broker.close();
                            notifier.close();
                            registry.close();
                            stopped.countDown();
                        },
                        "losswatch-notify-shutdown"));
        stopped.await();
        return 0;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new NotifyCommand()).execute(args));
    }
}
