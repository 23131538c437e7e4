package io.losswatch.systemtests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.cli.options.WebhookOptions;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.notify.DeliveryId;
import io.losswatch.notify.Notifier;
import io.losswatch.notify.NotifierConfig;
import io.losswatch.notify.Receiver;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * The whole path: a diverging and a healthy run go through the monitor, and a real HTTP receiver gets
 * exactly the alerts the monitor raised, signed, with the URL's credentials as basic auth.
 */
class WebhookDeliveryIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    @CommandLine.Command
    static final class Flags {
        @CommandLine.Mixin
        WebhookOptions webhooks = new WebhookOptions();
    }

    /** The notifier settings as {@code losswatch monitor --webhook ...} builds them from its flags. */
    private static NotifierConfig fromFlags(MonitorConfig monitor, String... args) {
        Flags f = new Flags();
        new CommandLine(f).parseArgs(args);
        return f.webhooks.config(
                monitor.bootstrapServers(), monitor.kafka(), monitor.alertsTopic(), f.webhooks.targets(Map.of()));
    }

    private static List<AlertEvent> alertsOnTopic() {
        return Committed.alerts(KAFKA.bootstrapServers(), Topics.ALERTS);
    }

    @Test
    void shouldDeliverExactlyTheAlertsOfADivergingRunSignedToARealReceiver() throws Exception {
        MonitorConfig monitorConfig = MonitorConfig.defaults(KAFKA.bootstrapServers())
                .withStateDir(Path.of("target", "streams-" + UUID.randomUUID()));
        try (Receiver receiver = Receiver.start();
                KafkaProducer<byte[], byte[]> steps = new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                KAFKA.bootstrapServers(),
                                ProducerConfig.ACKS_CONFIG,
                                "all"),
                        new ByteArraySerializer(),
                        new ByteArraySerializer());
                MonitorApp monitor = MonitorApp.start(
                        monitorConfig, MonitorApp.Options.defaults().withHttp("127.0.0.1", 0))) {
            String url = receiver.url("/hook").replace("http://", "http://losswatch:hunter2@");
            NotifierConfig config = fromFlags(
                    monitorConfig,
                    "--webhook",
                    url,
                    "--webhook-name",
                    "receiver",
                    "--webhook-secret",
                    SECRET,
                    "--webhook-group",
                    "it-" + UUID.randomUUID(),
                    "--webhook-retry-initial",
                    "200ms",
                    "--webhook-retry-max",
                    "2s");
            try (Notifier notifier = Notifier.start(config, monitor.registry())) {
                await().alias("monitor and notifier run")
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> monitor.isRunning() && notifier.isRunning());
                for (int i = 0; i < 120; i++) {
                    double diverging =
                            i < 40 ? 2.3 * Math.exp(-0.01 * i) : 2.3 * Math.exp(-0.4) * Math.exp(0.1 * (i - 40));
                    steps.send(new ProducerRecord<>(
                            Topics.METRICS,
                            "div".getBytes(UTF_8),
                            EventJson.writeStep(StepEvent.of("div", i, diverging)
                                    .withLearningRate(0.5)
                                    .withLabels(Map.of("optimizer", "sgd")))));
                    steps.send(new ProducerRecord<>(
                            Topics.METRICS,
                            "ok".getBytes(UTF_8),
                            EventJson.writeStep(StepEvent.of("ok", i, 2.3 * Math.exp(-i / 60.0))
                                    .withLearningRate(0.001))));
                }
                steps.flush();

                await().alias("the receiver got a firing alert")
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> receiver.accepted().stream()
                                .anyMatch(r -> r.alert().status() == AlertStatus.FIRING));
                List<AlertEvent> raised = alertsOnTopic();
                Set<String> expected = raised.stream().map(DeliveryId::of).collect(Collectors.toSet());
                await().alias("the receiver has every alert the monitor raised")
                        .atMost(Duration.ofSeconds(20))
                        .until(() -> receiver.accepted().stream()
                                .map(Receiver.Request::deliveryId)
                                .collect(Collectors.toSet())
                                .equals(expected));

                List<Receiver.Request> got = receiver.accepted();
                assertThat(got).extracting(r -> r.alert().runId()).containsOnly("div");
                assertThat(got).extracting(Receiver.Request::alert).containsExactlyInAnyOrderElementsOf(raised);
                assertThat(got).allSatisfy(r -> {
                    assertThat(r.signedWith(SECRET))
                            .as("signature with the shared secret")
                            .isTrue();
                    assertThat(r.signedWith("not-the-secret"))
                            .as("signature with a wrong secret")
                            .isFalse();
                    assertThat(r.header("Authorization"))
                            .isEqualTo(
                                    "Basic " + Base64.getEncoder().encodeToString("losswatch:hunter2".getBytes(UTF_8)));
                    assertThat(r.header("Content-Type")).isEqualTo("application/json");
                });

                String metrics = HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + monitor.httpPort() + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                assertThat(metrics)
                        .contains("losswatch_webhook_deliveries_total{outcome=\"delivered\",target=\"receiver\"} "
                                + got.size() + ".0")
                        .contains("losswatch_webhook_delivery_latency_seconds_bucket{target=\"receiver\"")
                        .doesNotContain("hunter2")
                        .doesNotContain(SECRET);
            }
        }
    }
}
