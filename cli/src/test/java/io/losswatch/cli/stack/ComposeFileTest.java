package io.losswatch.cli.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.losswatch.monitor.MonitorApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** deploy/docker-compose.yml names only files that exist and publishes the default ports. */
class ComposeFileTest {
    private static final JsonNode COMPOSE = Repo.yaml(Repo.DEPLOY.resolve("docker-compose.yml"));
    private static final JsonNode SERVICES = COMPOSE.path("services");

    private static List<String> ports(String service) {
        List<String> out = new ArrayList<>();
        SERVICES.path(service).path("ports").forEach(p -> out.add(p.asText()));
        return out;
    }

    @Test
    void shouldRunTheWholeStack() {
        assertThat(SERVICES.fieldNames())
                .toIterable()
                .contains("kafka", "monitor", "prometheus", "alertmanager", "grafana")
                .anyMatch(s -> s.startsWith("trainer"));
        assertThat(SERVICES.path("kafka").path("image").asText()).startsWith("apache/kafka:");
        assertThat(SERVICES.path("kafka")
                        .path("environment")
                        .path("KAFKA_PROCESS_ROLES")
                        .asText())
                .isEqualTo("broker,controller");
    }

    @Test
    void shouldReferenceOnlyFilesThatExist() {
        SERVICES.properties().forEach(s -> {
            JsonNode build = s.getValue().path("build");
            if (!build.isMissingNode()) {
                Path context =
                        Repo.DEPLOY.resolve(build.path("context").asText(".")).normalize();
                assertThat(context).as(s.getKey() + " build context").isDirectory();
                assertThat(context.resolve(build.path("dockerfile").asText("Dockerfile")))
                        .as(s.getKey() + " Dockerfile")
                        .isRegularFile();
            }
            for (JsonNode v : s.getValue().path("volumes")) {
                String host = v.asText().split(":")[0];
                if (host.startsWith(".") || host.startsWith("/")) {
                    assertThat(Repo.DEPLOY.resolve(host).normalize())
                            .as(s.getKey() + " volume " + v.asText())
                            .exists();
                }
            }
            for (JsonNode e : s.getValue().path("command")) {
                if (e.asText().startsWith("--config.file=")) {
                    String inContainer = e.asText().substring("--config.file=".length());
                    assertThat(mountedFile(s.getValue(), inContainer))
                            .as(s.getKey() + " " + e.asText())
                            .isRegularFile();
                }
            }
        });
        // every service without a build uses an image, or the image another service builds
        SERVICES.properties()
                .forEach(s -> assertThat(
                                s.getValue().has("image") || s.getValue().has("build"))
                        .as(s.getKey() + " has an image")
                        .isTrue());
    }

    /** The host file behind a path inside the container, through the service's bind mounts. */
    private static Path mountedFile(JsonNode service, String inContainer) {
        for (JsonNode v : service.path("volumes")) {
            String[] parts = v.asText().split(":");
            if (inContainer.equals(parts[1])) {
                return Repo.DEPLOY.resolve(parts[0]).normalize();
            }
            if (inContainer.startsWith(parts[1] + "/")) {
                return Repo.DEPLOY
                        .resolve(parts[0])
                        .resolve(inContainer.substring(parts[1].length() + 1))
                        .normalize();
            }
        }
        return Path.of("/nonexistent/" + inContainer);
    }

    @Test
    void shouldPublishTheDefaultPorts() {
        int monitorPort = MonitorApp.Options.defaults().httpPort();
        assertThat(ports("kafka")).containsExactly("9092:9092");
        assertThat(ports("monitor")).containsExactly(monitorPort + ":" + monitorPort);
        assertThat(SERVICES.path("monitor")
                        .path("environment")
                        .path("LOSSWATCH_HTTP_PORT")
                        .asText())
                .isEqualTo(String.valueOf(monitorPort));
        assertThat(ports("prometheus")).containsExactly("9090:9090");
        assertThat(ports("alertmanager")).containsExactly("9093:9093");
        assertThat(ports("grafana")).containsExactly("3000:3000");
    }

    @Test
    void shouldPointPrometheusGrafanaAndTheMonitorAtTheServicesOfTheStack() {
        JsonNode prom = Repo.yaml(Repo.DEPLOY.resolve("prometheus/prometheus.yml"));
        JsonNode job = prom.path("scrape_configs").get(0);
        assertThat(job.path("job_name").asText()).isEqualTo(io.losswatch.cli.LocalPrometheus.JOB);
        assertThat(job.path("static_configs").get(0).path("targets").get(0).asText())
                .isEqualTo("monitor:" + MonitorApp.Options.defaults().httpPort());
        assertThat(prom.path("alerting")
                        .path("alertmanagers")
                        .get(0)
                        .path("static_configs")
                        .get(0)
                        .path("targets")
                        .get(0)
                        .asText())
                .isEqualTo("alertmanager:9093");
        for (JsonNode rules : prom.path("rule_files")) {
            String glob = rules.asText();
            Path dir = Repo.DEPLOY.resolve("prometheus").resolve(glob).getParent();
            assertThat(dir).as("rule_files " + glob).isDirectory();
            assertThat(Files.exists(dir)).isTrue();
        }
        assertThat(Repo.yaml(Repo.GRAFANA.resolve("provisioning/datasources/prometheus.yml"))
                        .path("datasources")
                        .get(0)
                        .path("url")
                        .asText())
                .isEqualTo("http://prometheus:9090");
        assertThat(SERVICES.path("monitor")
                        .path("environment")
                        .path("LOSSWATCH_BOOTSTRAP_SERVERS")
                        .asText())
                .isEqualTo("kafka:29092");
        assertThat(SERVICES.path("kafka")
                        .path("environment")
                        .path("KAFKA_ADVERTISED_LISTENERS")
                        .asText())
                .contains("INTERNAL://kafka:29092")
                .contains("EXTERNAL://localhost:9092");
    }
}
