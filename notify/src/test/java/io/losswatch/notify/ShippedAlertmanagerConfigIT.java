package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertType;
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
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Alertmanager config the repository ships, run by a real Alertmanager: a run's alerts from the
 * monitor form one group per incident, and Prometheus's copy of a run alert is inhibited while the
 * monitor's own alert for that run is active.
 */
class ShippedAlertmanagerConfigIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path SHIPPED = Path.of("..", "deploy", "alertmanager", "alertmanager.yml");

    private static Process alertmanager;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        Optional<Path> bin = AlertmanagerIT.findAlertmanager();
        Assumptions.assumeTrue(
                bin.isPresent(), "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)");
        port = Receiver.freePort();
        Path dir =
                Path.of("target", "alertmanager-shipped-" + UUID.randomUUID()).toAbsolutePath();
        Files.createDirectories(dir.resolve("data"));
        alertmanager = new ProcessBuilder(
                        bin.get().toString(),
                        "--config.file=" + SHIPPED.toAbsolutePath(),
                        "--storage.path=" + dir.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port,
                        "--cluster.listen-address=",
                        "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("alertmanager.log").toFile())
                .start();
        await().alias("Alertmanager with the shipped config answers /-/ready")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .ignoreExceptionsInstanceOf(IOException.class) // not listening yet
                .until(() -> {
                    assertThat(alertmanager.isAlive())
                            .as(
                                    "Alertmanager runs the shipped config: %s",
                                    Files.readString(dir.resolve("alertmanager.log")))
                            .isTrue();
                    return get("/-/ready").statusCode() == 200;
                });
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (alertmanager != null) {
            alertmanager.destroy();
            if (!alertmanager.waitFor(10, TimeUnit.SECONDS)) {
                alertmanager.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void push(byte[] body) throws Exception {
        int code = HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v2/alerts"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
        assertThat(code).isEqualTo(200);
    }

    /** What Prometheus pushes for the rule LosswatchRunAlertActive. */
    private static byte[] prometheusRunAlert(String runId, AlertType type) throws Exception {
        return JSON.writeValueAsBytes(List.of(java.util.Map.of(
                "labels",
                java.util.Map.of(
                        "alertname", "LosswatchRunAlertActive",
                        "run_id", runId,
                        "type", type.name(),
                        "severity", "warning",
                        "job", "losswatch-monitor"),
                "startsAt",
                Instant.now().toString())));
    }

    private static List<JsonNode> alertsOf(String runId) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(get("/api/v2/alerts").body()).forEach(a -> {
            if (runId.equals(a.path("labels").path("run_id").asText())) {
                out.add(a);
            }
        });
        return out;
    }

    @Test
    void shouldInhibitPrometheusCopyOfARunAlertTheMonitorPushed() throws Exception {
        String run = "dup-" + UUID.randomUUID();
        AlertEvent firing = TestAlerts.firing(run, AlertType.LOSS_EXPONENTIAL_GROWTH, 37, Instant.now());
        push(AlertmanagerPayload.apiV2(Incident.firing(firing), null));
        push(prometheusRunAlert(run, AlertType.LOSS_EXPONENTIAL_GROWTH));

        await().alias("Prometheus's copy is listed as inhibited by the monitor's alert")
                .atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> {
                    JsonNode copy = alertsOf(run).stream()
                            .filter(a ->
                                    a.path("labels").path("alertname").asText().equals("LosswatchRunAlertActive"))
                            .findFirst()
                            .orElseThrow();
                    assertThat(copy.path("status").path("state").asText()).isEqualTo("suppressed");
                    assertThat(copy.path("status").path("inhibitedBy")).isNotEmpty();
                });
    }

    @Test
    void shouldKeepPrometheusRunAlertForARunTheMonitorDidNotPush() throws Exception {
        String run = "alone-" + UUID.randomUUID();
        push(prometheusRunAlert(run, AlertType.LOSS_BLOWUP));

        await().alias("Prometheus's run alert is active")
                .atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(alertsOf(run))
                        .singleElement()
                        .satisfies(
                                a -> assertThat(a.path("status").path("state").asText())
                                        .isEqualTo("active")));
    }

    @Test
    void shouldGroupTheAlertsOfOneIncidentTogether() throws Exception {
        String run = "incident-" + UUID.randomUUID();
        FiringIndex index = new FiringIndex();
        AlertEvent blowup = TestAlerts.firing(run, AlertType.LOSS_BLOWUP, 1, Instant.now());
        AlertEvent gradients = TestAlerts.firing(run, AlertType.GRADIENT_EXPLOSION, 1, Instant.now());
        index.remember(blowup);
        index.remember(gradients);
        push(AlertmanagerPayload.apiV2(Incident.of(blowup, index), null));
        push(AlertmanagerPayload.apiV2(Incident.of(gradients, index), null));

        await().alias("one alert group holds both alerts of the incident")
                .atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> {
                    List<JsonNode> groups = new ArrayList<>();
                    JSON.readTree(get("/api/v2/alerts/groups").body()).forEach(g -> {
                        if (blowup.alertId()
                                .equals(g.path("labels").path("incident").asText())) {
                            groups.add(g);
                        }
                    });
                    assertThat(groups)
                            .singleElement()
                            .satisfies(g -> assertThat(g.path("alerts")).hasSize(2));
                });
    }
}
