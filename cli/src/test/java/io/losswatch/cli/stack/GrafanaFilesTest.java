package io.losswatch.cli.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The dashboards and Grafana provisioning parse and agree with each other. */
class GrafanaFilesTest {
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)");
    private static final Set<String> GRAFANA_BUILTINS = Set.of(
            "__rate_interval",
            "__interval",
            "__range",
            "__interval_ms",
            "__range_s",
            "__all",
            "__value",
            "__url_time_range",
            "__from",
            "__to");

    private static JsonNode datasource() {
        return Repo.yaml(Repo.GRAFANA.resolve("provisioning/datasources/prometheus.yml"))
                .path("datasources")
                .get(0);
    }

    @Test
    void shouldProvisionThePrometheusOfTheComposeStackAndTheDashboardFolder() {
        JsonNode ds = datasource();
        assertThat(ds.path("type").asText()).isEqualTo("prometheus");
        assertThat(ds.path("uid").asText()).isEqualTo("losswatch-prometheus");
        assertThat(ds.path("url").asText()).isEqualTo("http://prometheus:9090");

        JsonNode provider = Repo.yaml(Repo.GRAFANA.resolve("provisioning/dashboards/losswatch.yml"))
                .path("providers")
                .get(0);
        assertThat(provider.path("type").asText()).isEqualTo("file");
        assertThat(provider.path("options").path("path").asText()).isEqualTo("/var/lib/grafana/dashboards");
    }

    @Test
    void shouldHaveTheTrainingHealthAndServiceDashboards() {
        List<String> titles = Repo.dashboards().stream()
                .map(p -> Repo.json(p).path("title").asText())
                .toList();
        assertThat(titles).contains("Training health", "Losswatch service");
        // Slack messages and Alertmanager alerts link to /d/losswatch-run/... (see the README)
        assertThat(Repo.dashboards().stream().map(p -> Repo.json(p).path("uid").asText()))
                .contains("losswatch-run", "losswatch-service")
                .doesNotHaveDuplicates();
    }

    @Test
    void shouldGiveEveryPanelAQueryOnTheProvisionedDatasource() {
        String uid = datasource().path("uid").asText();
        for (Path file : Repo.dashboards()) {
            JsonNode d = Repo.json(file);
            Set<Integer> ids = new HashSet<>();
            for (JsonNode panel : Repo.panels(d)) {
                if (panel.path("type").asText().equals("row")) {
                    continue;
                }
                String where =
                        file.getFileName() + " panel '" + panel.path("title").asText() + "'";
                assertThat(ids.add(panel.path("id").asInt()))
                        .as(where + " has a unique id")
                        .isTrue();
                assertThat(panel.path("description").asText())
                        .as(where + " says what it shows")
                        .isNotBlank();
                assertThat(panel.path("targets").size())
                        .as(where + " has a query")
                        .isPositive();
                assertThat(panel.path("datasource").path("uid").asText())
                        .as(where + " datasource")
                        .isEqualTo(uid);
                for (JsonNode t : panel.path("targets")) {
                    assertThat(t.path("expr").asText())
                            .as(where + " query " + t.path("refId"))
                            .isNotBlank();
                    if (t.has("datasource")) {
                        assertThat(t.path("datasource").path("uid").asText())
                                .as(where + " target datasource")
                                .isEqualTo(uid);
                    }
                }
            }
            for (JsonNode v : d.path("templating").path("list")) {
                if (v.path("type").asText().equals("query")) {
                    assertThat(v.path("datasource").path("uid").asText())
                            .as(file + " variable " + v.path("name"))
                            .isEqualTo(uid);
                }
            }
            for (JsonNode a : d.path("annotations").path("list")) {
                if (a.has("expr")) {
                    assertThat(a.path("datasource").path("uid").asText())
                            .as(file + " annotation")
                            .isEqualTo(uid);
                }
            }
        }
    }

    @Test
    void shouldDefineEveryVariableTheQueriesUse() {
        for (Path file : Repo.dashboards()) {
            JsonNode d = Repo.json(file);
            Set<String> defined = new HashSet<>();
            d.path("templating")
                    .path("list")
                    .forEach(v -> defined.add(v.path("name").asText()));
            for (Repo.Query q : Repo.queries(file)) {
                Matcher m = VARIABLE.matcher(q.expr());
                while (m.find()) {
                    String name = m.group(1);
                    if (!GRAFANA_BUILTINS.contains(name)) {
                        assertThat(defined)
                                .as(file.getFileName() + " " + q.where() + " uses $" + name)
                                .contains(name);
                    }
                }
            }
        }
    }

    @Test
    void shouldLetTheTrainingHealthDashboardFilterByRunAndMarkAlerts() throws Exception {
        JsonNode d = Repo.json(Repo.GRAFANA.resolve("dashboards/training-health.json"));
        JsonNode runId = d.path("templating").path("list").get(0);
        assertThat(runId.path("name").asText()).isEqualTo("run_id");
        assertThat(runId.path("multi").asBoolean()).isTrue();
        assertThat(Repo.queries(Repo.GRAFANA.resolve("dashboards/training-health.json")))
                .allSatisfy(q -> assertThat(q.expr()).as(q.where()).contains("run_id=~\"$run_id\""));
        assertThat(d.path("annotations").path("list").findValuesAsText("expr")).isNotEmpty();
        assertThat(Files.readString(Repo.GRAFANA.resolve("dashboards/training-health.json")))
                .contains("\"log\": 10");
    }
}
