package io.losswatch.cli.stack;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.losswatch.cli.LocalPrometheus;
import io.losswatch.events.Topics;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.notify.Notifier;
import io.losswatch.notify.NotifierConfig;
import io.losswatch.notify.WebhookFormat;
import io.losswatch.notify.WebhookTarget;
import io.losswatch.testsupport.KafkaBrokerExtension;
import io.losswatch.trainer.Architecture;
import io.losswatch.trainer.LeNet;
import io.losswatch.trainer.TrainConfig;
import io.losswatch.trainer.Trainer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * End to end: a real Prometheus scrapes a real monitor (with a webhook target) while two real runs
 * train, one healthy and one diverging. Every PromQL expression of every dashboard, and every
 * recording and alerting rule, is then run through Prometheus's HTTP API.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardsIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static final String HEALTHY = "it-healthy-adam";
    static final String DIVERGING = "it-exponential-linear";
    /** What the test's instant queries stand in for Grafana's own variables. */
    static final Map<String, String> GRAFANA_VARIABLES =
            Map.of("$run_id", ".*", "$__rate_interval", "1m", "$__range", "5m");

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static MonitorApp monitor;
    private static Notifier notifier;
    private static HttpServer receiver;
    private static LocalPrometheus prometheus;
    private static KafkaProducer<byte[], byte[]> producer;

    @BeforeAll
    static void startEverything() throws Exception {
        assertThat(LocalPrometheus.installed())
                .as("prometheus is missing: apt-get install prometheus")
                .isTrue();
        String servers = KAFKA.bootstrapServers();
        monitor = MonitorApp.start(
                MonitorConfig.defaults(servers).withStateDir(Path.of("target", "streams-" + UUID.randomUUID())),
                MonitorApp.Options.defaults().withHttp("127.0.0.1", 0));
        await().alias("monitor's Streams client is running")
                .atMost(Duration.ofSeconds(60))
                .until(monitor::isRunning);

        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        receiver.start();
        notifier = Notifier.start(
                NotifierConfig.of(
                        servers,
                        List.of(WebhookTarget.of(
                                "it-receiver",
                                "http://127.0.0.1:" + receiver.getAddress().getPort() + "/alerts",
                                WebhookFormat.GENERIC,
                                null,
                                Map.of()))),
                monitor.registry());

        prometheus = LocalPrometheus.start(
                Path.of("target", "prometheus-" + UUID.randomUUID()),
                "127.0.0.1:" + monitor.httpPort(),
                LocalPrometheus.ruleFiles(Repo.ROOT),
                Duration.ofSeconds(1));
        assertThat(prometheus.awaitReady(Duration.ofSeconds(30)))
                .as("Prometheus ready:\n" + prometheus.logTail())
                .isTrue();

        producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers),
                new ByteArraySerializer(),
                new ByteArraySerializer());
        // a record that is not JSON (the DLQ), and a repeated step (ignored): the service panels need both
        send("it-other", "not json");
        send("it-repeat", "{\"schema\":1,\"run_id\":\"it-repeat\",\"step\":1,\"loss\":1.0}");
        send("it-repeat", "{\"schema\":1,\"run_id\":\"it-repeat\",\"step\":1,\"loss\":1.0}");
        producer.flush();

        Path data = Path.of("/usr/share/datasets/fashion-mnist");
        TrainConfig healthy = TrainConfig.defaults(HEALTHY)
                .withOptimizer(LeNet.Optimizer.ADAM, 1e-3)
                .withSteps(40)
                .withValidateEvery(10)
                .withData(data, 2000)
                .withKafka(servers, Topics.METRICS, Map.of());
        TrainConfig diverging = TrainConfig.defaults(DIVERGING)
                .withOptimizer(LeNet.Optimizer.SGD, 0.1)
                .withModel(Architecture.LINEAR, null)
                .withSteps(120)
                .withData(data, 2000)
                .withKafka(servers, Topics.METRICS, Map.of());
        CompletableFuture<?> a = CompletableFuture.runAsync(() -> train(healthy, Duration.ZERO));
        // paced so that Prometheus sees the loss climb over several scrapes
        CompletableFuture<?> b = CompletableFuture.runAsync(() -> train(diverging, Duration.ofMillis(50)));
        CompletableFuture.allOf(a, b).get(3, TimeUnit.MINUTES);

        // more bad records after Prometheus has seen the counter, so that its rate rises
        for (int i = 0; i < 20; i++) {
            send("it-other", "not json");
        }
        producer.flush();
    }

    private static void train(TrainConfig c, Duration pace) {
        try {
            new Trainer(c).pace(pace).run();
        } catch (Exception e) {
            throw new IllegalStateException("run " + c.runId() + " failed", e);
        }
    }

    private static void send(String key, String value) {
        producer.send(new ProducerRecord<>(Topics.METRICS, key.getBytes(UTF_8), value.getBytes(UTF_8)));
    }

    @AfterAll
    static void stopEverything() {
        if (producer != null) {
            producer.close();
        }
        if (prometheus != null) {
            prometheus.close();
        }
        if (notifier != null) {
            notifier.close();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
        if (monitor != null) {
            monitor.close();
        }
    }

    /** The result array of an instant query; fails when Prometheus refuses the expression. */
    static JsonNode query(String expr) throws Exception {
        return api("/api/v1/query?query=" + URLEncoder.encode(expr, UTF_8));
    }

    static JsonNode queryRange(String expr, Duration back) throws Exception {
        long now = System.currentTimeMillis() / 1000;
        return api("/api/v1/query_range?query=" + URLEncoder.encode(expr, UTF_8) + "&start=" + (now - back.toSeconds())
                + "&end=" + now + "&step=1");
    }

    private static JsonNode api(String pathAndQuery) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(prometheus.url() + pathAndQuery))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = Repo.JSON.readTree(r.body());
        assertThat(body.path("status").asText())
                .as(pathAndQuery + " -> " + r.body())
                .isEqualTo("success");
        return body.path("data").path("result");
    }

    static String grafanaToPromQl(String expr) {
        String out = expr;
        for (Map.Entry<String, String> v : GRAFANA_VARIABLES.entrySet()) {
            out = out.replace(v.getKey(), v.getValue());
        }
        return out;
    }

    private static double value(JsonNode series) {
        return Double.parseDouble(series.path("value").get(1).asText());
    }

    @Test
    @Order(1)
    void shouldReadOneForTheDivergingRunsAlertAndZeroForTheHealthyRun() {
        await().alias("Prometheus sees the diverging run's alert")
                .atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> {
                    JsonNode div = query("max(losswatch_alert_active{run_id=\"" + DIVERGING + "\"})");
                    assertThat(div).hasSize(1);
                    assertThat(value(div.get(0))).isEqualTo(1.0);
                    JsonNode ok = query("max(losswatch_alert_active{run_id=\"" + HEALTHY + "\"})");
                    assertThat(ok).hasSize(1);
                    assertThat(value(ok.get(0))).isEqualTo(0.0);
                });
    }

    @Test
    @Order(2)
    void shouldReturnDataForEveryDashboardQuery() throws Exception {
        List<Repo.Query> queries = new ArrayList<>();
        Repo.dashboards().forEach(d -> queries.addAll(Repo.queries(d)));
        assertThat(queries).hasSizeGreaterThan(20);
        await().alias("every dashboard query returns data")
                .atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofSeconds(2))
                .untilAsserted(() -> {
                    List<String> empty = new ArrayList<>();
                    for (Repo.Query q : queries) {
                        String promql = grafanaToPromQl(q.expr());
                        JsonNode result = q.instant() ? query(promql) : queryRange(promql, Duration.ofSeconds(60));
                        if (result.isEmpty()) {
                            empty.add(q.dashboard() + " / " + q.where() + ": " + promql);
                        }
                    }
                    assertThat(empty).as("queries without data").isEmpty();
                });
        // the Run variable lists both runs
        HttpResponse<String> labels = HTTP.send(
                HttpRequest.newBuilder(
                                URI.create(prometheus.url() + "/api/v1/label/run_id/values?match%5B%5D=losswatch_step"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(Repo.JSON.readTree(labels.body()).path("data"))
                .extracting(JsonNode::asText)
                .contains(HEALTHY, DIVERGING);
    }

    @Test
    @Order(3)
    void shouldReturnDataForEveryRecordingRuleAndTheAlertsThatHold() throws Exception {
        List<JsonNode> rules = new ArrayList<>();
        for (Path f : LocalPrometheus.ruleFiles(Repo.ROOT)) {
            Repo.yaml(f).path("groups").forEach(g -> g.path("rules").forEach(rules::add));
        }
        await().alias("every recording rule has a series")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(2))
                .untilAsserted(() -> {
                    List<String> empty = new ArrayList<>();
                    for (JsonNode r : rules) {
                        if (r.has("record")) {
                            if (query(r.path("record").asText()).isEmpty()
                                    || query(r.path("expr").asText()).isEmpty()) {
                                empty.add(r.path("record").asText());
                            }
                        } else {
                            query(r.path("expr").asText()); // valid and accepted by Prometheus
                        }
                    }
                    assertThat(empty).isEmpty();
                });
        // the alerts this scenario should raise: a run alert for the diverging run only, bad records
        JsonNode runAlerts = query(alertExpr(rules, "LosswatchRunAlertActive"));
        assertThat(runAlerts)
                .isNotEmpty()
                .allSatisfy(s ->
                        assertThat(s.path("metric").path("run_id").asText()).isEqualTo(DIVERGING));
        await().alias("invalid records rising")
                .atMost(Duration.ofSeconds(30))
                .until(() -> !query(alertExpr(rules, "LosswatchInvalidRecordsRising"))
                        .isEmpty());
        // nothing lags and the webhook target keeps up
        assertThat(query(alertExpr(rules, "LosswatchConsumerLagGrowing"))).isEmpty();
        assertThat(query(alertExpr(rules, "LosswatchWebhookFailing"))).isEmpty();
        assertThat(query("losswatch_webhook_deliveries_total{outcome=\"delivered\"} > 0"))
                .isNotEmpty();
        assertThat(query("losswatch_alert_cause{run_id=\"" + DIVERGING + "\"}"))
                .isNotEmpty()
                .allSatisfy(
                        s -> assertThat(s.path("metric").path("cause").asText()).isNotBlank());
    }

    @Test
    @Order(4)
    void shouldSeeTheMonitorDownOnceItStops() throws Exception {
        List<JsonNode> rules = new ArrayList<>();
        for (Path f : LocalPrometheus.ruleFiles(Repo.ROOT)) {
            Repo.yaml(f).path("groups").forEach(g -> g.path("rules").forEach(rules::add));
        }
        String down = alertExpr(rules, "LosswatchMonitorDown");
        assertThat(query(down)).isEmpty();
        notifier.close();
        notifier = null;
        monitor.close();
        monitor = null;
        await().alias("Prometheus sees the monitor down")
                .atMost(Duration.ofSeconds(30))
                .until(() -> !query(down).isEmpty());
    }

    private static String alertExpr(List<JsonNode> rules, String alert) {
        return rules.stream()
                .filter(r -> alert.equals(r.path("alert").asText()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no alert " + alert))
                .path("expr")
                .asText();
    }
}
