package io.losswatch.cli.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.losswatch.notify.Backoff;
import io.losswatch.notify.NotifierConfig;
import io.losswatch.notify.WebhookFormat;
import io.losswatch.notify.WebhookTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class WebhookOptionsTest {

    @CommandLine.Command
    static final class Cmd {
        @CommandLine.Mixin
        WebhookOptions webhooks = new WebhookOptions();
    }

    private static WebhookOptions parse(String... args) {
        Cmd c = new Cmd();
        new CommandLine(c).parseArgs(args);
        return c.webhooks;
    }

    private static List<WebhookTarget> targets(String... args) {
        return parse(args).targets(Map.of());
    }

    @Test
    void shouldApplyOneFormatAndSecretToEveryUrl() {
        List<WebhookTarget> t = targets(
                "--webhook",
                "http://a:1/x",
                "--webhook",
                "http://b:2/y",
                "--webhook-format",
                "slack",
                "--webhook-secret",
                "s");
        assertThat(t).extracting(WebhookTarget::format).containsOnly(WebhookFormat.SLACK);
        assertThat(t).extracting(WebhookTarget::secret).containsOnly("s");
    }

    @Test
    void shouldPairFormatsSecretsAndNamesWithUrlsByPosition() {
        List<WebhookTarget> t = targets(
                "--webhook",
                "http://a:1/x",
                "--webhook-format",
                "alertmanager",
                "--webhook-name",
                "am",
                "--webhook",
                "http://b:2/y",
                "--webhook-format",
                "generic",
                "--webhook-name",
                "hook",
                "--webhook-secret",
                "one",
                "--webhook-secret",
                "two");
        assertThat(t).extracting(WebhookTarget::name).containsExactly("am", "hook");
        assertThat(t)
                .extracting(WebhookTarget::format)
                .containsExactly(WebhookFormat.ALERTMANAGER, WebhookFormat.GENERIC);
        assertThat(t).extracting(WebhookTarget::secret).containsExactly("one", "two");
    }

    @Test
    void shouldDefaultToTheGenericFormatUnsigned() {
        assertThat(targets("--webhook", "http://a:1/x"))
                .singleElement()
                .satisfies(w -> assertThat(w.format()).isEqualTo(WebhookFormat.GENERIC))
                .satisfies(w -> assertThat(w.secret()).isNull());
    }

    @Test
    void shouldSayWhenTheCountsDoNotMatch() {
        assertThatThrownBy(() -> targets(
                        "--webhook",
                        "http://a:1/x",
                        "--webhook",
                        "http://b:1/x",
                        "--webhook",
                        "http://c:1/x",
                        "--webhook-format",
                        "slack",
                        "--webhook-format",
                        "generic"))
                .hasMessage("--webhook-format was given 2 times for 3 --webhook URLs: give it once (for all of "
                        + "them) or once per URL, in the same order.");
        assertThatThrownBy(() -> targets("--webhook-format", "slack")).hasMessageContaining("give the URL too");
    }

    @Test
    void shouldAskForNamesWhenTwoUnnamedTargetsShareAHost() {
        WebhookOptions o = parse(
                "--webhook",
                "https://hooks.example.com/services/A",
                "--webhook",
                "https://hooks.example.com/services/B",
                "--webhook-format",
                "slack");
        List<WebhookTarget> t = o.targets(Map.of());
        assertThatThrownBy(() -> o.config("k:9092", Map.of(), "training.alerts", t))
                .hasMessageStartingWith("Two webhooks go to https://hooks.example.com:443 without a name");
    }

    @Test
    void shouldCombineFlagsWithAConfigFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("webhooks.yaml");
        Files.writeString(file, "webhooks:\n  - name: am\n    url: http://am:9093\n    format: alertmanager\n");
        WebhookOptions o = parse(
                "--webhook",
                "http://a:1/x",
                "--webhook-config",
                file.toString(),
                "--webhook-retry-initial",
                "200ms",
                "--webhook-retry-max",
                "2s",
                "--webhook-timeout",
                "3s",
                "--grafana-url",
                "https://grafana.example.com/d/lw/run");
        NotifierConfig c = o.config("k:9092", Map.of(), "training.alerts", o.targets(Map.of()));
        assertThat(c.targets()).extracting(WebhookTarget::name).containsExactly("http://a:1", "am");
        assertThat(c.backoff()).isEqualTo(new Backoff(Duration.ofMillis(200), Duration.ofSeconds(2)));
        assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.groupId(c.targets().get(1))).isEqualTo("losswatch-notify.am");
        assertThat(c.groupId(c.targets().get(0))).isEqualTo("losswatch-notify.http___a_1");
    }

    @Test
    void shouldRefuseAGrafanaUrlThatIsNotHttp() {
        WebhookOptions o = parse("--webhook", "http://a:1/x", "--grafana-url", "grafana.local/d/x");
        assertThatThrownBy(() -> o.config("k:9092", Map.of(), "t", o.targets(Map.of())))
                .hasMessageStartingWith("--grafana-url must be an http(s) URL");
    }
}
