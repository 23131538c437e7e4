package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertType;
import io.losswatch.events.Topics;
import io.losswatch.testsupport.KafkaBrokerExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real Alertmanager (Debian's prometheus-alertmanager), started as a plain process on a free port:
 * Losswatch's push shows as an active alert through its API and is gone once resolved. Alertmanager
 * also sends its own webhook notification to the test, which is compared with Losswatch's
 * {@code alertmanager-webhook} payload for the same alert.
 */
class AlertmanagerIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<String> BINARIES = List.of("prometheus-alertmanager", "alertmanager");

    private static Process alertmanager;
    private static Path dir;
    private static int port;
    private static Receiver notifications;

    static Optional<Path> findAlertmanager() {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        return Stream.of(path.split(File.pathSeparator))
                .flatMap(d -> BINARIES.stream().map(b -> Path.of(d, b)))
                .filter(Files::isExecutable)
                .findFirst();
    }

    @BeforeAll
    static void startAlertmanager() throws Exception {
        Optional<Path> bin = findAlertmanager();
        if (bin.isEmpty()) {
            if (System.getenv("CI") != null) {
                fail("prometheus-alertmanager is not installed, and under CI this test must run: "
                        + "apt-get install prometheus-alertmanager");
            }
            Assumptions.abort("prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager); "
                    + "skipping the test against a real Alertmanager");
        }
        notifications = Receiver.start();
        port = Receiver.freePort();
        dir = Path.of("target", "alertmanager-" + UUID.randomUUID()).toAbsolutePath();
        Files.createDirectories(dir.resolve("data"));
        Path config = dir.resolve("alertmanager.yml");
        // group_wait and group_interval short, so its own notifications come within the test's patience
        Files.writeString(config, """
                route:
                  receiver: losswatch
                  group_by: [alertname, run_id]
                  group_wait: 1s
                  group_interval: 1s
                  repeat_interval: 1h
                receivers:
                  - name: losswatch
                    webhook_configs:
                      - url: %s
                        send_resolved: true
                """.formatted(notifications.url("/alertmanager")));
        alertmanager = new ProcessBuilder(
                        bin.get().toString(),
                        "--config.file=" + config,
                        "--storage.path=" + dir.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port,
                        "--cluster.listen-address=",
                        "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("alertmanager.log").toFile())
                .start();
        await().alias("Alertmanager answers /-/ready on port " + port)
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!alertmanager.isAlive()) {
                        throw new AssertionError(
                                "Alertmanager exited: " + Files.readString(dir.resolve("alertmanager.log")));
                    }
                    return status("/-/ready") == 200;
                });
    }

    @AfterAll
    static void stopAlertmanager() throws InterruptedException {
        if (alertmanager != null) {
            alertmanager.destroy();
            if (!alertmanager.waitFor(10, TimeUnit.SECONDS)) {
                alertmanager.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (notifications != null) {
            notifications.close();
        }
    }

    private static int status(String path) {
        try {
            return HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The alerts Alertmanager lists through its API (by default: active, silenced and inhibited ones, not resolved). */
    private static List<JsonNode> alertsOf(String runId) throws Exception {
        String body = HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v2/alerts"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(body).forEach(a -> {
            if (runId.equals(a.path("labels").path("run_id").asText())) {
                out.add(a);
            }
        });
        return out;
    }

    private static Optional<JsonNode> notification(String status) {
        return notifications.requests().stream()
                .map(r -> {
                    try {
                        return JSON.readTree(r.body());
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                })
                .filter(n -> status.equals(n.path("status").asText()))
                .findFirst();
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    /** Losswatch's webhook payload matches Alertmanager's own: the same fields, labels, keys and ids. */
    private static void assertSameShape(JsonNode ours, JsonNode theirs) {
        assertThat(fieldNames(ours)).containsExactlyInAnyOrderElementsOf(fieldNames(theirs));
        for (String f : List.of(
                "version",
                "status",
                "receiver",
                "groupKey",
                "groupLabels",
                "commonLabels",
                "commonAnnotations",
                "truncatedAlerts")) {
            assertThat(ours.get(f)).as(f).isEqualTo(theirs.get(f));
        }
        JsonNode a = ours.get("alerts").get(0);
        JsonNode b = theirs.get("alerts").get(0);
        assertThat(fieldNames(a)).containsExactlyInAnyOrderElementsOf(fieldNames(b));
        for (String f : List.of("status", "labels", "annotations", "fingerprint", "generatorURL")) {
            assertThat(a.get(f)).as("alerts[0]." + f).isEqualTo(b.get(f));
        }
        assertThat(Instant.parse(a.get("startsAt").asText()))
                .isEqualTo(Instant.parse(b.get("startsAt").asText()));
    }

    @Test
    void shouldListTheAlertAsActiveInAlertmanagerAndNoLongerOnceResolved() throws Exception {
        KAFKA.createTopic(Topics.ALERTS, 1);
        NotifierConfig config = NotifierConfig.of(
                        KAFKA.bootstrapServers(),
                        List.of(WebhookTarget.of(
                                "alertmanager", "http://127.0.0.1:" + port, WebhookFormat.ALERTMANAGER, null, null)))
                .withGroupPrefix("it-" + UUID.randomUUID())
                .withBackoff(new Backoff(Duration.ofMillis(200), Duration.ofSeconds(2)));
        try (AlertProducer alerts = new AlertProducer(KAFKA.bootstrapServers());
                Notifier notifier = Notifier.start(config, new SimpleMeterRegistry())) {
            await().alias("the notifier runs").atMost(Duration.ofSeconds(30)).until(notifier::isRunning);
            AlertEvent firing =
                    alerts.send(TestAlerts.firing("fmnist-sgd", AlertType.LOSS_EXPONENTIAL_GROWTH, 37, Instant.now()));

            await().alias("Alertmanager lists the alert as active")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> alertsOf("fmnist-sgd").stream()
                            .anyMatch(
                                    a -> a.path("status").path("state").asText().equals("active")));
            JsonNode active = alertsOf("fmnist-sgd").get(0);
            assertThat(active.get("labels").get("alertname").asText()).isEqualTo("LOSS_EXPONENTIAL_GROWTH");
            assertThat(active.get("labels").get("severity").asText()).isEqualTo("critical");
            assertThat(active.get("labels").get("cause").asText()).isEqualTo("LEARNING_RATE_TOO_HIGH");
            assertThat(active.get("annotations").get("summary").asText())
                    .startsWith("Run fmnist-sgd: the loss is growing exponentially since step 37");
            assertThat(active.get("annotations").get("suggestion").asText()).startsWith("Lower the learning rate");
            assertThat(active.get("fingerprint").asText())
                    .isEqualTo(AlertmanagerPayload.fingerprint(AlertmanagerPayload.labels(Incident.firing(firing))));

            await().alias("Alertmanager notified its webhook receiver of the firing alert")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> notification("firing").isPresent());
            assertSameShape(
                    JSON.readTree(AlertmanagerPayload.webhookV4(Incident.firing(firing), null)),
                    notification("firing").orElseThrow());

            // shaped as the detector writes it: no severity or diagnosis of its own
            AlertEvent resolved = alerts.send(TestAlerts.resolved(firing, 140, Instant.now()));
            await().alias("Alertmanager no longer lists the alert")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> alertsOf("fmnist-sgd").isEmpty());

            await().alias("Alertmanager notified its webhook receiver of the resolution")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> notification("resolved").isPresent());
            FiringIndex index = new FiringIndex();
            index.remember(firing);
            JsonNode ours = JSON.readTree(AlertmanagerPayload.webhookV4(Incident.of(resolved, index), null));
            JsonNode theirs = notification("resolved").orElseThrow();
            assertSameShape(ours, theirs);
            assertThat(Instant.parse(ours.get("alerts").get(0).get("endsAt").asText()))
                    .isEqualTo(Instant.parse(
                            theirs.get("alerts").get(0).get("endsAt").asText()));
        }
    }
}
