package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookConfigFileTest {
    private static final Map<String, String> ENV =
            Map.of("SLACK_URL", "https://hooks.example.com/services/T/B/x", "HOOK_SECRET", "s3cret", "TOKEN", "t0ken");

    @Test
    void shouldReadSeveralTargetsWithSecretsFromTheEnvironment() {
        String yaml = """
                webhooks:
                  - name: oncall
                    url: http://alertmanager:9093
                    format: alertmanager
                  - name: ml-team
                    url: ${SLACK_URL}
                    format: slack
                  - url: https://ci.example.com/hooks/losswatch
                    secret: ${HOOK_SECRET}
                    headers:
                      Authorization: Bearer ${TOKEN}
                """;
        List<WebhookTarget> targets = WebhookConfigFile.parse(yaml, "webhooks.yaml", ENV);
        assertThat(targets)
                .extracting(WebhookTarget::name)
                .containsExactly("oncall", "ml-team", "https://ci.example.com:443");
        assertThat(targets)
                .extracting(WebhookTarget::format)
                .containsExactly(WebhookFormat.ALERTMANAGER, WebhookFormat.SLACK, WebhookFormat.GENERIC);
        assertThat(targets.get(1).url()).hasToString("https://hooks.example.com/services/T/B/x");
        assertThat(targets.get(2).secret()).isEqualTo("s3cret");
        assertThat(targets.get(2).headers()).containsEntry("Authorization", "Bearer t0ken");
    }

    @Test
    void shouldReadJsonToo() {
        List<WebhookTarget> targets = WebhookConfigFile.parse(
                "{\"webhooks\": [{\"url\": \"http://h:1/x\", \"format\": \"alertmanager-webhook\"}]}", "f.json", ENV);
        assertThat(targets)
                .singleElement()
                .extracting(WebhookTarget::format)
                .isEqualTo(WebhookFormat.ALERTMANAGER_WEBHOOK);
    }

    @Test
    void shouldSayWhichEntryIsWrongAndHow() {
        assertThatThrownBy(() ->
                        WebhookConfigFile.parse("webhooks:\n  - url: http://h/x\n    fromat: slack\n", "w.yaml", ENV))
                .hasMessage("w.yaml, webhook 1: unknown key 'fromat'; use name, url, format, secret, " + "headers.");
        assertThatThrownBy(() -> WebhookConfigFile.parse("webhooks:\n  - name: a\n    url: ${NOPE}\n", "w.yaml", ENV))
                .hasMessage("w.yaml, webhook 'a' uses ${NOPE}, which is not set in the environment.");
        assertThatThrownBy(() -> WebhookConfigFile.parse("webhooks:\n  - name: a\n", "w.yaml", ENV))
                .hasMessage("w.yaml, webhook 'a' has no url:.");
        assertThatThrownBy(() -> WebhookConfigFile.parse("targets: []\n", "w.yaml", ENV))
                .hasMessageStartingWith("w.yaml needs a list 'webhooks:'");
        assertThatThrownBy(() -> WebhookConfigFile.parse("webhooks: [\n", "w.yaml", ENV))
                .hasMessageStartingWith("w.yaml is not valid YAML");
        assertThatThrownBy(() -> WebhookConfigFile.parse("webhooks:\n  - url: smtp://mail/x\n", "w.yaml", ENV))
                .hasMessageStartingWith("w.yaml, webhook 1: Only http:// and https:// webhook URLs are accepted");
    }
}
