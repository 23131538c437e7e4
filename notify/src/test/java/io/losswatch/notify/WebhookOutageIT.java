package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Topics;
import io.losswatch.testsupport.KafkaBrokerExtension;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The receiver is down for 30 s while alerts fire, and the notifier is restarted in the middle of it:
 * once the receiver is back it has every alert, and each alert carried one delivery id on every try.
 */
class WebhookOutageIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final String SECRET = "outage-secret";
    private static final Duration OUTAGE = Duration.ofSeconds(30);

    private static double failed(MeterRegistry registry) {
        Counter c = registry.find(DeliveryMetrics.WEBHOOK_DELIVERIES)
                .tags(DeliveryMetrics.TARGET, "receiver", DeliveryMetrics.OUTCOME, DeliveryMetrics.OUTCOME_FAILED)
                .counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void shouldDeliverEveryAlertWithStableDeliveryIdsAfterAnOutageAndARestart() {
        KAFKA.createTopic(Topics.ALERTS, 2);
        try (Receiver receiver = Receiver.down();
                AlertProducer alerts = new AlertProducer(KAFKA.bootstrapServers())) {
            Instant downSince = Instant.now();
            NotifierConfig config = NotifierConfig.of(
                            KAFKA.bootstrapServers(),
                            List.of(WebhookTarget.of(
                                    "receiver", receiver.url("/hook"), WebhookFormat.GENERIC, SECRET, null)))
                    .withGroupPrefix("it-" + UUID.randomUUID())
                    .withBackoff(new Backoff(Duration.ofMillis(200), Duration.ofSeconds(2)))
                    .withTimeout(Duration.ofSeconds(2));
            List<AlertEvent> sent = new ArrayList<>();

            MeterRegistry first = new SimpleMeterRegistry();
            try (Notifier notifier = Notifier.start(config, first)) {
                await().alias("the first notifier runs")
                        .atMost(Duration.ofSeconds(30))
                        .until(notifier::isRunning);
                AlertEvent a =
                        alerts.send(TestAlerts.firing("run-a", AlertType.LOSS_EXPONENTIAL_GROWTH, 37, Instant.now()));
                sent.add(a);
                sent.add(alerts.send(TestAlerts.firing("run-b", AlertType.LOSS_NON_FINITE, 12, Instant.now())));
                sent.add(alerts.send(TestAlerts.firing("run-c", AlertType.GRADIENT_EXPLOSION, 80, Instant.now())));
                await().alias("the first notifier keeps failing against the stopped receiver")
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> failed(first) >= 3);
                sent.add(alerts.send(TestAlerts.resolved(a, 140, Instant.now())));
            }

            MeterRegistry second = new SimpleMeterRegistry();
            try (Notifier notifier = Notifier.start(config, second)) {
                await().alias("the second notifier runs")
                        .atMost(Duration.ofSeconds(30))
                        .until(notifier::isRunning);
                sent.add(alerts.send(TestAlerts.firing("run-d", AlertType.LOSS_BLOWUP, 5, Instant.now())));
                await().alias("the restarted notifier takes over and fails too")
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> failed(second) >= 2);

                receiver.answering(503).withRetryAfter("1").up();
                await().alias("the receiver, up but answering 503, was offered one alert more than once")
                        .atMost(Duration.ofSeconds(15))
                        .until(() -> receiver.requests().stream()
                                .collect(Collectors.groupingBy(Receiver.Request::deliveryId, Collectors.counting()))
                                .values()
                                .stream()
                                .anyMatch(n -> n >= 2));
                await().alias("the receiver has been down for " + OUTAGE.toSeconds() + " s")
                        .atMost(OUTAGE.plusSeconds(10))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> Duration.between(downSince, Instant.now()).compareTo(OUTAGE) >= 0);
                List<Receiver.Request> duringOutage = receiver.requests();

                receiver.answering(200);
                Set<String> expected = sent.stream().map(DeliveryId::of).collect(Collectors.toSet());
                await().alias("the receiver has every alert")
                        .atMost(Duration.ofSeconds(20))
                        .until(() -> receiver.accepted().stream()
                                .map(Receiver.Request::deliveryId)
                                .collect(Collectors.toSet())
                                .containsAll(expected));

                List<Receiver.Request> accepted = receiver.accepted();
                assertThat(accepted).extracting(Receiver.Request::deliveryId).isSubsetOf(expected);
                assertThat(accepted)
                        .allSatisfy(r -> assertThat(r.signedWith(SECRET)).isTrue());
                // a delivery id belongs to one alert event, whichever attempt or notifier instance sent it
                assertThat(receiver.requests())
                        .allSatisfy(r -> assertThat(r.deliveryId()).isEqualTo(DeliveryId.of(r.alert())));
                assertThat(duringOutage)
                        .isNotEmpty()
                        .allSatisfy(r -> assertThat(r.accepted()).isFalse());
                assertThat(accepted)
                        .extracting(Receiver.Request::deliveryId)
                        .containsAll(duringOutage.stream()
                                .map(Receiver.Request::deliveryId)
                                .toList());
                // a run's alerts arrive in order: the firing before its resolved
                List<AlertStatus> runA = accepted.stream()
                        .map(Receiver.Request::alert)
                        .filter(x -> x.runId().equals("run-a"))
                        .map(AlertEvent::status)
                        .distinct()
                        .toList();
                assertThat(runA).containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
            }
        }
    }
}
