package io.losswatch.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The Prometheus that {@code demo --with-prometheus} starts: scrapes its target, and is gone after close. */
class LocalPrometheusIT {
    @Test
    void shouldScrapeTheMonitorAndStopWhenClosed() throws Exception {
        assertThat(LocalPrometheus.installed())
                .as("prometheus is missing: apt-get install prometheus")
                .isTrue();
        HttpServer fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] body = "# TYPE losswatch_active_runs gauge\nlosswatch_active_runs 2.0\n".getBytes(UTF_8);
        fake.createContext("/metrics", ex -> {
            ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        fake.start();
        HttpClient http = HttpClient.newHttpClient();
        LocalPrometheus p = LocalPrometheus.start(
                Path.of("target", "prometheus-" + UUID.randomUUID()),
                "127.0.0.1:" + fake.getAddress().getPort(),
                List.of(),
                Duration.ofSeconds(1));
        try {
            assertThat(p.awaitReady(Duration.ofSeconds(30))).as(p.logTail()).isTrue();
            String query = p.url() + "/api/v1/query?query="
                    + URLEncoder.encode("losswatch_active_runs{job=\"" + LocalPrometheus.JOB + "\"}", UTF_8);
            await().alias("Prometheus has scraped the target")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> http.send(
                                    HttpRequest.newBuilder(URI.create(query)).build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body()
                            .contains("\"2\""));
        } finally {
            p.close();
            fake.stop(0);
        }
        assertThat(p.isAlive()).as("the process is gone after close").isFalse();
    }
}
