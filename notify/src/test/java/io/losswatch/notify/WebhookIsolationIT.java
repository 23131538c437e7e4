package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertType;
import io.losswatch.events.Topics;
import io.losswatch.testsupport.KafkaBrokerExtension;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One target failing forever (or never answering) holds up no other: each has its own consumer group and retries. */
class WebhookIsolationIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void shouldDeliverToAHealthyTargetOnTimeWhileAnotherAnswers500Forever() {
        KAFKA.createTopic(Topics.ALERTS, 2);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (Receiver healthy = Receiver.start();
                Receiver broken = Receiver.start().answering(500);
                Receiver refusing = Receiver.start().answering(400);
                Receiver hanging = Receiver.start().hanging();
                AlertProducer alerts = new AlertProducer(KAFKA.bootstrapServers())) {
            NotifierConfig config = NotifierConfig.of(
                            KAFKA.bootstrapServers(),
                            List.of(
                                    WebhookTarget.of("broken", broken.url("/hook"), WebhookFormat.GENERIC, null, null),
                                    WebhookTarget.of(
                                            "healthy", healthy.url("/hook"), WebhookFormat.GENERIC, null, null),
                                    WebhookTarget.of(
                                            "refusing", refusing.url("/hook"), WebhookFormat.SLACK, null, null),
                                    WebhookTarget.of(
                                            "hanging", hanging.url("/hook"), WebhookFormat.GENERIC, null, null)))
                    .withGroupPrefix("it-" + UUID.randomUUID())
                    .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1)))
                    .withTimeout(Duration.ofMillis(500));
            try (Notifier notifier = Notifier.start(config, registry)) {
                await().alias("every target's delivery thread runs")
                        .atMost(Duration.ofSeconds(30))
                        .until(notifier::isRunning);
                List<AlertEvent> sent = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    AlertEvent a = alerts.send(
                            TestAlerts.firing("run-" + i, AlertType.LOSS_EXPONENTIAL_GROWTH, 30 + i, Instant.now()));
                    sent.add(a);
                    Instant produced = Instant.now();
                    String id = DeliveryId.of(a);
                    await().alias("the healthy target has alert " + i + " within 3 s of it being written")
                            .atMost(Duration.ofSeconds(3))
                            .pollInterval(Duration.ofMillis(20))
                            .until(() -> healthy.accepted().stream()
                                    .anyMatch(r -> r.deliveryId().equals(id)));
                    Instant got = healthy.accepted().stream()
                            .filter(r -> r.deliveryId().equals(id))
                            .findFirst()
                            .orElseThrow()
                            .at();
                    assertThat(Duration.between(produced, got)).isLessThan(Duration.ofSeconds(2));
                }
                await().alias("the refusing target was offered all 5 alerts")
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> refusing.requests().size() >= 5);
                await().alias("the broken target was tried again and again")
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> broken.requests().size() >= 5);

                assertThat(healthy.accepted())
                        .extracting(Receiver.Request::deliveryId)
                        .containsExactlyElementsOf(
                                sent.stream().map(DeliveryId::of).toList());
                // the broken target is stuck on the first alert of its partition, retrying it with one delivery id
                assertThat(broken.requests().stream()
                                .map(Receiver.Request::deliveryId)
                                .distinct()
                                .count())
                        .isLessThanOrEqualTo(2); // one head per partition
                // a 400 means the payload is refused: no retries, the alert is skipped
                assertThat(refusing.requests()).hasSize(5);

                String scrape = registry.scrape();
                assertThat(scrape)
                        .contains("losswatch_webhook_deliveries_total{outcome=\"delivered\",target=\"healthy\"} 5.0")
                        .contains("losswatch_webhook_deliveries_total{outcome=\"delivered\",target=\"broken\"} 0.0")
                        .contains("losswatch_webhook_deliveries_total{outcome=\"rejected\",target=\"refusing\"} 5.0")
                        .contains("losswatch_webhook_delivery_latency_seconds_count{target=\"healthy\"} 5")
                        .containsPattern("losswatch_webhook_deliveries_total\\{outcome=\"failed\",target=\"broken\"} "
                                + "[1-9][0-9]*\\.0")
                        .containsPattern("losswatch_webhook_failing_attempts\\{target=\"broken\"} [1-9]")
                        .contains("losswatch_webhook_failing_attempts{target=\"healthy\"} 0.0")
                        // a target that takes requests and never answers times out and is retried
                        .containsPattern("losswatch_webhook_deliveries_total\\{outcome=\"failed\",target=\"hanging\"} "
                                + "[1-9][0-9]*\\.0");
            }
        } finally {
            registry.close();
        }
    }
}
