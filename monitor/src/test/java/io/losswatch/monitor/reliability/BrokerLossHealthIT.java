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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A monitor whose broker goes away: Kafka Streams stays RUNNING and retries quietly, so /health must
 * tell from the broker itself, as a readiness probe expects. And a second monitor on the same state
 * directory is refused in one sentence.
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
