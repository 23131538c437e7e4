package io.losswatch.cli.stack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The repository's deploy/ and grafana/ files, read from the module's working directory. */
final class Repo {
    static final Path ROOT = findRoot();
    static final Path DEPLOY = ROOT.resolve("deploy");
    static final Path GRAFANA = ROOT.resolve("grafana");
    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private Repo() {}

    private static Path findRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("deploy")) && Files.isDirectory(p.resolve("grafana"))) {
                return p;
            }
        }
        throw new IllegalStateException(
                "no deploy/ and grafana/ above " + Path.of("").toAbsolutePath());
    }

    static JsonNode json(Path p) {
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(p + " is not valid JSON", e);
        }
    }

    static JsonNode yaml(Path p) {
        try {
            return YAML.readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(p + " is not valid YAML", e);
        }
    }

    static List<Path> dashboards() {
        try (var s = Files.list(GRAFANA.resolve("dashboards"))) {
            return s.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One PromQL query of a dashboard: a panel target, an annotation or a variable. */
    record Query(String dashboard, String where, String expr, boolean instant) {}

    static List<Query> queries(Path dashboard) {
        JsonNode d = json(dashboard);
        String name = d.path("title").asText();
        List<Query> out = new ArrayList<>();
        for (JsonNode panel : panels(d)) {
            for (JsonNode t : panel.path("targets")) {
                out.add(new Query(
                        name,
                        "panel '" + panel.path("title").asText() + "' "
                                + t.path("refId").asText(),
                        t.path("expr").asText(),
                        t.path("instant").asBoolean(false)));
            }
        }
        for (JsonNode a : d.path("annotations").path("list")) {
            if (a.has("expr")) {
                out.add(new Query(
                        name,
                        "annotation '" + a.path("name").asText() + "'",
                        a.path("expr").asText(),
                        false));
            }
        }
        return out;
    }

    /** Panels, including those nested in rows. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            out.add(p);
            p.path("panels").forEach(out::add);
        }
        return out;
    }
}
