package io.losswatch.monitor.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.StartupException;
import io.losswatch.kafka.local.EmbeddedKafka;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.notify.BrokerWatch;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A monitor whose broker goes away: Kafka Streams stays RUNNING and retries quietly, so /health must
 * tell from the broker itself, as a readiness probe expects; so must a RUNNING stream that commits nothing
 * while steps wait. And a second monitor on the same state directory is refused in one sentence.
 */
class BrokerLossHealthIT {

    @TempDir
    Path tmp;

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static HttpResponse<String> health(MonitorApp monitor) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + monitor.httpPort() + "/health"))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldAnswer503WhileTheBrokerIsDownAnd200OnceItIsBack() throws Exception {
        EmbeddedKafka.Config brokerConfig =
                EmbeddedKafka.Config.defaults().withPort(freePort()).withDataDir(tmp.resolve("kafka"));
        EmbeddedKafka broker = EmbeddedKafka.start(brokerConfig);
        MonitorApp monitor = null;
        try {
            monitor = MonitorApp.start(
                    MonitorConfig.defaults(broker.bootstrapServers()).withStateDir(tmp.resolve("state")),
                    MonitorApp.Options.defaults().withHttp("127.0.0.1", 0));
            MonitorApp m = monitor;
            await().alias("monitor is running and healthy")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> health(m).statusCode() == 200);
            assertThat(health(m).body()).contains("\"kafka\":\"reachable\"");

            broker.close();
            Duration noticed = BrokerWatch.INTERVAL.plus(BrokerWatch.TIMEOUT).plusSeconds(10);
            await().alias("/health turns 503 once the broker is gone")
                    .atMost(noticed)
                    .until(() -> health(m).statusCode() == 503);
            assertThat(health(m).body()).contains("\"kafka\":\"unreachable\"").contains("kafka_unreachable_since");

            broker = EmbeddedKafka.start(brokerConfig);
            await().alias("/health is 200 again once the broker is back")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> health(m).statusCode() == 200);
        } finally {
            if (monitor != null) {
                monitor.close();
            }
            broker.close();
        }
    }

    @Test
    void shouldAnswer503WhileStepsWaitAndTheRunningStreamCommitsNothing() throws Exception {
        Duration stallAfter = Duration.ofSeconds(10);
        try (EmbeddedKafka broker = EmbeddedKafka.start(
                        EmbeddedKafka.Config.defaults().withPort(freePort()).withDataDir(tmp.resolve("kafka")));
                MonitorApp monitor = MonitorApp.start(
                        MonitorConfig.defaults(broker.bootstrapServers()).withStateDir(tmp.resolve("state")),
                        MonitorApp.Options.defaults().withHttp("127.0.0.1", 0).withStallAfter(stallAfter));
                KafkaProducer<String, String> trainer = new KafkaProducer<>(
                        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                        new StringSerializer(),
                        new StringSerializer())) {
            send(trainer, monitor.config().metricsTopic(), 0, 20);
            await().alias("the monitor has read and committed the first 20 steps")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> health(monitor).body().contains("\"progress\":\"caught_up\",\"lag\":0,"));
            assertThat(health(monitor).statusCode()).isEqualTo(200);
            assertThat(health(monitor).body()).contains("\"last_commit_seen\":");

            // a paused client stays RUNNING, as one whose stream thread is stuck does
            monitor.streams().pause();
            send(trainer, monitor.config().metricsTopic(), 20, 20);
            await().alias("/health turns 503 once steps have waited the stall time")
                    .atMost(stallAfter
                            .plus(BrokerWatch.INTERVAL)
                            .plus(BrokerWatch.TIMEOUT)
                            .plusSeconds(15))
                    .until(() -> health(monitor).statusCode() == 503);
            assertThat(health(monitor).body())
                    .contains("\"streams\":\"RUNNING\"")
                    .contains("\"kafka\":\"reachable\"")
                    .contains("\"progress\":\"stalled\",\"lag\":20,");

            monitor.streams().resume();
            await().alias("/health is 200 again once the stream has read the waiting steps")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> health(monitor).statusCode() == 200);
            await().alias("the waiting steps are read")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> health(monitor).body().contains("\"lag\":0,"));
        }
    }

    private static void send(KafkaProducer<String, String> producer, String topic, int from, int count)
            throws Exception {
        for (int step = from; step < from + count; step++) {
            producer.send(new ProducerRecord<>(
                            topic,
                            "stall-run",
                            "{\"schema\":1,\"run_id\":\"stall-run\",\"step\":" + step + ",\"loss\":1.0}"))
                    .get();
        }
    }

    @Test
    void shouldRefuseASecondMonitorOnTheSameStateDirInOneSentence() throws Exception {
        try (EmbeddedKafka broker = EmbeddedKafka.start(
                        EmbeddedKafka.Config.defaults().withPort(freePort()).withDataDir(tmp.resolve("kafka")));
                MonitorApp first = MonitorApp.start(
                        MonitorConfig.defaults(broker.bootstrapServers()).withStateDir(tmp.resolve("state")),
                        MonitorApp.Options.defaults().withHttp("127.0.0.1", -1))) {
            await().alias("first monitor is running")
                    .atMost(Duration.ofSeconds(60))
                    .until(first::isRunning);

            assertThatThrownBy(() -> MonitorApp.start(
                                    MonitorConfig.defaults(broker.bootstrapServers())
                                            .withStateDir(tmp.resolve("state")),
                                    MonitorApp.Options.defaults().withHttp("127.0.0.1", -1))
                            .close())
                    .isInstanceOf(StartupException.class)
                    .hasMessage("another monitor uses state dir "
                            + tmp.resolve("state").toAbsolutePath() + ": give each instance its own --state-dir");
        }
    }
}
