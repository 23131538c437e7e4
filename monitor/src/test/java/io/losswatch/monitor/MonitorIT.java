package io.losswatch.monitor;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.EventJson;
import io.losswatch.events.StartupException;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The monitor on a real broker: alerts, dead letters, /metrics and /health. */
class MonitorIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static MonitorApp monitor;
    private static KafkaProducer<byte[], byte[]> producer;

    @BeforeAll
    static void startMonitor() throws Exception {
        MonitorConfig config = MonitorConfig.defaults(KAFKA.bootstrapServers())
                .withStateDir(Path.of("target", "streams-" + UUID.randomUUID()));
        monitor = MonitorApp.start(config, MonitorApp.Options.defaults().withHttp("127.0.0.1", 0));
        await().alias("monitor's Streams client is running")
                .atMost(Duration.ofSeconds(60))
                .until(monitor::isRunning);
        producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        KAFKA.bootstrapServers(),
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    @AfterAll
    static void stop() {
        if (producer != null) {
            producer.close();
        }
        if (monitor != null) {
            monitor.close();
        }
    }

    private static void send(String key, byte[] value) {
        producer.send(new ProducerRecord<>(Topics.METRICS, key == null ? null : key.getBytes(UTF_8), value));
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast, Duration within) {
        // a little longer than the last expected record, to see records that should not be there
        return Committed.records(KAFKA.bootstrapServers(), Map.of(), topic, atLeast, Duration.ofMillis(1500), within);
    }

    private static AlertEvent alert(ConsumerRecord<byte[], byte[]> r) {
        try {
            return EventJson.parseAlert(r.value());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void shouldAlertOnADivergingRunAndSendMalformedRecordsToTheDeadLetterTopic() throws Exception {
        for (int i = 0; i < 120; i++) {
            // the bad records are interleaved with the good ones
            if (i == 10) {
                send("div", "not json".getBytes(UTF_8));
                send("div", "{\"schema\":1,\"step\":3,\"loss\":1.0}".getBytes(UTF_8));
                send("div", "{\"schema\":1,\"run_id\":\"div\",\"step\":-3,\"loss\":1.0}".getBytes(UTF_8));
                send("div", "{\"schema\":1,\"run_id\":\"div\",\"step\":11,\"loss\":\"very high\"}".getBytes(UTF_8));
            }
            double diverging = i < 40 ? 2.3 * Math.exp(-0.01 * i) : 2.3 * Math.exp(-0.4) * Math.exp(0.1 * (i - 40));
            send(
                    "div",
                    EventJson.writeStep(StepEvent.of("div", i, diverging)
                            .withLearningRate(0.5)
                            .withLabels(Map.of("optimizer", "sgd"))));
            send(
                    "ok",
                    EventJson.writeStep(
                            StepEvent.of("ok", i, 2.3 * Math.exp(-i / 60.0)).withLearningRate(0.001)));
        }
        producer.flush();

        List<AlertEvent> alerts = readAll(Topics.ALERTS, 1, Duration.ofSeconds(60)).stream()
                .map(MonitorIT::alert)
                .toList();
        assertThat(alerts).extracting(AlertEvent::runId).containsOnly("div");
        assertThat(alerts)
                .filteredOn(a -> a.status() == AlertStatus.FIRING)
                .extracting(AlertEvent::type)
                .containsExactly(AlertType.LOSS_EXPONENTIAL_GROWTH);
        AlertEvent a = alerts.get(0);
        assertThat(a.onsetStep()).isBetween(36L, 44L);
        assertThat(a.fit().doublingSteps()).isBetween(5.0, 9.0);

        List<ConsumerRecord<byte[], byte[]>> dead = readAll(Topics.DLQ, 4, Duration.ofSeconds(30));
        assertThat(dead)
                .extracting(r ->
                        new String(r.headers().lastHeader(Topics.REASON_HEADER).value(), UTF_8))
                .containsExactly("not_json", "missing_field", "invalid_step", "invalid_value");
        assertThat(dead)
                .allSatisfy(r ->
                        assertThat(r.headers().lastHeader(Topics.ERROR_HEADER)).isNotNull());

        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + monitor.httpPort();
        String metrics = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics)
                .contains("losswatch_loss{run_id=\"div\"}")
                .contains("losswatch_loss_growth_rate{run_id=\"div\"}")
                .contains("losswatch_records_total")
                .contains("losswatch_invalid_records_total{reason=\"not_json\"} 1.0")
                .contains("losswatch_alerts_total{cause=")
                .contains("losswatch_alert_active{run_id=\"div\",type=\"LOSS_EXPONENTIAL_GROWTH\"} 1.0")
                .contains("losswatch_alert_active{run_id=\"ok\",type=\"LOSS_EXPONENTIAL_GROWTH\"} 0.0")
                .contains("losswatch_detection_latency_seconds_bucket")
                .contains("kafka_stream");
        HttpResponse<String> health = http.send(
                HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("RUNNING");
    }

    @Test
    void shouldSayInOneSentenceWhenTheBrokerCannotBeReached() {
        MonitorConfig config = MonitorConfig.defaults("127.0.0.1:1").withStateDir(Path.of("target", "unreachable"));
        var options = new MonitorApp.Options("127.0.0.1", -1, true, 1, 3);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MonitorApp.start(config, options))
                .isInstanceOf(StartupException.class)
                .hasMessageStartingWith("Cannot reach Kafka at 127.0.0.1:1 within 3 s");
    }

    @Test
    void shouldRefuseToStartWhenATopicIsMissingAndCreationIsOff() {
        MonitorConfig config = MonitorConfig.defaults(KAFKA.bootstrapServers())
                .withTopics("no.such.topic", Topics.ALERTS, Topics.DLQ)
                .withStateDir(Path.of("target", "missing-topic"));
        var options = new MonitorApp.Options("127.0.0.1", -1, false, 1, 10);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MonitorApp.start(config, options))
                .isInstanceOf(StartupException.class)
                .hasMessageContaining("Topic 'no.such.topic' does not exist");
    }
}
