package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertType;
import io.losswatch.events.Topics;
import io.losswatch.testsupport.KafkaBrokerExtension;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A notifier whose target keeps failing while an alert waits: every delivery thread runs and the broker
 * answers, yet the alert does not get out. /health says which target is stalled, and is 200 again
 * once the target takes it.
 */
class DeliveryStallHealthIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static HttpResponse<String> health(ServiceHttpServer http) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/health"))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldAnswer503NamingTheTargetWhileAnAlertWaitsOnItAndNothingIsCommitted() throws Exception {
        KAFKA.createTopic(Topics.ALERTS, 1);
        Duration stallAfter = Duration.ofSeconds(5);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (Receiver chat = Receiver.start();
                Receiver pager = Receiver.start().answering(503);
                AlertProducer alerts = new AlertProducer(KAFKA.bootstrapServers())) {
            NotifierConfig config = NotifierConfig.of(
                            KAFKA.bootstrapServers(),
                            List.of(
                                    WebhookTarget.of("chat", chat.url("/hook"), WebhookFormat.GENERIC, null, null),
                                    WebhookTarget.of("pager", pager.url("/hook"), WebhookFormat.GENERIC, null, null)))
                    .withGroupPrefix("it-" + UUID.randomUUID())
                    .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1)));
            try (Notifier notifier = Notifier.start(config, registry);
                    BrokerWatch broker = BrokerWatch.start("notifier", KAFKA.bootstrapServers(), Map.of())
                            .watchDelivery(config, stallAfter);
                    ServiceHttpServer http = new ServiceHttpServer(
                            "127.0.0.1", 0, registry, notifier::isRunning, () -> "RUNNING", broker)) {
                await().alias("every target's delivery thread runs")
                        .atMost(Duration.ofSeconds(30))
                        .until(notifier::isRunning);

                alerts.send(TestAlerts.firing("run-1", AlertType.LOSS_BLOWUP, 3, Instant.now()));
                await().alias("the chat target has the alert")
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> chat.accepted().size() == 1);
                await().alias("/health turns 503 once the alert has waited on the pager for the stall time")
                        .atMost(stallAfter
                                .plus(BrokerWatch.INTERVAL)
                                .plus(BrokerWatch.TIMEOUT)
                                .plusSeconds(15))
                        .until(() -> health(http).statusCode() == 503);
                assertThat(health(http).body())
                        .contains("\"kafka\":\"reachable\"")
                        .contains("\"pager\":{\"progress\":\"stalled\",\"lag\":1,")
                        .contains("\"chat\":{\"progress\":\"caught_up\",\"lag\":0,");

                pager.answering(200);
                await().alias("/health is 200 again once the pager has taken the alert")
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> health(http).statusCode() == 200);
                assertThat(pager.accepted()).hasSize(1);
            }
        } finally {
            registry.close();
        }
    }
}
