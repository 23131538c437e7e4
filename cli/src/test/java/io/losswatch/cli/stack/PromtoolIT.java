package io.losswatch.cli.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code promtool check config}, {@code check rules} and {@code test rules} on deploy/prometheus, as CI
 * runs them (Debian's {@code prometheus} package brings promtool). Also {@code amtool check-config} on
 * the Alertmanager example when amtool is installed.
 */
class PromtoolIT {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final Path DIR = Repo.DEPLOY.resolve("prometheus");

    @BeforeAll
    static void promtoolIsInstalled() {
        assertThat(PROMTOOL)
                .as("promtool is missing: apt-get install prometheus")
                .isExecutable();
    }

    private static String run(Path cwd, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd)
                .directory(cwd.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS))
                .as(String.join(" ", cmd) + " finished")
                .isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + " said:\n" + out).isZero();
        return out;
    }

    @Test
    void shouldAcceptThePrometheusConfig() throws Exception {
        assertThat(run(DIR, PROMTOOL.toString(), "check", "config", "prometheus.yml"))
                .contains("SUCCESS");
    }

    @Test
    void shouldAcceptTheRules() throws Exception {
        List<Path> rules = io.losswatch.cli.LocalPrometheus.ruleFiles(Repo.ROOT);
        assertThat(rules).isNotEmpty();
        for (Path r : rules) {
            assertThat(run(DIR, PROMTOOL.toString(), "check", "rules", r.toString()))
                    .contains("SUCCESS");
        }
    }

    @Test
    void shouldPassTheRuleUnitTests() throws Exception {
        try (var s = Files.list(DIR.resolve("tests"))) {
            List<String> tests = s.map(p -> DIR.relativize(p).toString())
                    .filter(p -> p.endsWith(".yml"))
                    .sorted()
                    .toList();
            assertThat(tests).isNotEmpty();
            for (String t : tests) {
                assertThat(run(DIR, PROMTOOL.toString(), "test", "rules", t)).contains("SUCCESS");
            }
        }
    }

    @Test
    void shouldCoverEveryAlertingRuleWithAUnitTest() throws Exception {
        StringBuilder tests = new StringBuilder();
        try (var s = Files.list(DIR.resolve("tests"))) {
            for (Path p : s.toList()) {
                tests.append(Files.readString(p));
            }
        }
        for (Path r : io.losswatch.cli.LocalPrometheus.ruleFiles(Repo.ROOT)) {
            Repo.yaml(r)
                    .path("groups")
                    .forEach(g -> g.path("rules").forEach(rule -> {
                        if (rule.has("alert")) {
                            assertThat(tests)
                                    .as("a test of alert " + rule.path("alert").asText())
                                    .contains("alertname: " + rule.path("alert").asText());
                        } else {
                            assertThat(tests)
                                    .as("a test of recording rule "
                                            + rule.path("record").asText())
                                    .contains(rule.path("record").asText());
                        }
                    }));
        }
    }

    @Test
    void shouldAcceptTheAlertmanagerExample() throws Exception {
        Path amtool = Path.of("/usr/bin/amtool");
        if (Files.isExecutable(amtool)) {
            assertThat(run(Repo.DEPLOY, amtool.toString(), "check-config", "alertmanager/alertmanager.yml"))
                    .contains("SUCCESS");
        }
    }
}
