package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookTargetTest {

    @Test
    void shouldNameAnUnnamedTargetBySchemeHostAndPortOnly() {
        WebhookTarget t = WebhookTarget.of(
                null,
                "https://bot:pa55word@hooks.example.com/services/T0/B0/XyZsecret",
                WebhookFormat.SLACK,
                null,
                null);
        assertThat(t.name()).isEqualTo("https://hooks.example.com:443");
        assertThat(t.named()).isFalse();
        assertThat(WebhookTarget.of(null, "http://Receiver:8080/x", null, null, null)
                        .name())
                .isEqualTo("http://receiver:8080");
        assertThat(WebhookTarget.of(null, "http://receiver/x", null, null, null).name())
                .isEqualTo("http://receiver:80");
    }

    @Test
    void shouldUseAConfiguredName() {
        WebhookTarget t = WebhookTarget.of("ml-team", "https://hooks.example.com/x", WebhookFormat.SLACK, null, null);
        assertThat(t.name()).isEqualTo("ml-team");
        assertThat(t.named()).isTrue();
    }

    @Test
    void shouldNeverShowCredentialsOrTheSecretPathWhenPrinted() {
        WebhookTarget t = WebhookTarget.of(
                null,
                "https://bot:pa55word@hooks.example.com/services/XyZsecret?token=t0k",
                WebhookFormat.SLACK,
                "hmac-secret",
                Map.of("Authorization", "Bearer b3arer"));
        String printed = t.toString() + " "
                + t.redact("failed: " + t.url() + " / " + t.endpoint() + " pa55word XyZsecret hmac-secret b3arer t0k");
        assertThat(printed).doesNotContain("pa55word", "XyZsecret", "hmac-secret", "b3arer", "t0k", "bot:");
        assertThat(t.toString()).isEqualTo("https://hooks.example.com:443 (slack, signed)");
    }

    @Test
    void shouldTurnUserInfoIntoBasicAuthAndLeaveItOutOfTheRequestUrl() {
        WebhookTarget t = WebhookTarget.of(
                null, "http://alice:s%40fe@am.example.com:9093/", WebhookFormat.ALERTMANAGER, null, null);
        assertThat(t.endpoint()).isEqualTo(URI.create("http://am.example.com:9093/api/v2/alerts"));
        assertThat(t.basicAuthorization()).contains("Basic YWxpY2U6c0BmZQ=="); // alice:s@fe
    }

    @Test
    void shouldAppendTheAlertsApiToAnAlertmanagerBaseUrlOnce() {
        assertThat(WebhookTarget.of(null, "http://am:9093", WebhookFormat.ALERTMANAGER, null, null)
                        .endpoint())
                .isEqualTo(URI.create("http://am:9093/api/v2/alerts"));
        assertThat(WebhookTarget.of(null, "https://proxy/alertmanager/", WebhookFormat.ALERTMANAGER, null, null)
                        .endpoint())
                .isEqualTo(URI.create("https://proxy/alertmanager/api/v2/alerts"));
        assertThat(WebhookTarget.of(null, "http://am:9093/api/v2/alerts", WebhookFormat.ALERTMANAGER, null, null)
                        .endpoint())
                .isEqualTo(URI.create("http://am:9093/api/v2/alerts"));
        assertThat(WebhookTarget.of(null, "http://hook:80/a?b=c", WebhookFormat.GENERIC, null, null)
                        .endpoint())
                .isEqualTo(URI.create("http://hook:80/a?b=c"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "ftp://files.example.com/alerts",
                "file:///etc/passwd",
                "mailto:ops@example.com",
                "hooks.example.com/services/x",
                "javascript:alert(1)"
            })
    void shouldAcceptOnlyHttpAndHttpsUrls(String url) {
        assertThatThrownBy(() -> WebhookTarget.of(null, url, null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Only http:// and https:// webhook URLs are accepted");
    }

    @Test
    void shouldNotRepeatAnInvalidUrlInTheError() {
        assertThatThrownBy(() -> WebhookTarget.of(null, "https://u:p w@host/x", null, null, null))
                .hasMessageNotContaining("p w")
                .hasMessageContaining("not a valid URL");
        assertThatThrownBy(() -> WebhookTarget.of(null, "http:///nohost", null, null, null))
                .hasMessageContaining("no host name");
    }

    @Test
    void shouldRefuseBadNamesAndHeadersLosswatchSetsItself() {
        assertThatThrownBy(() -> WebhookTarget.of("has space", "http://h/x", null, null, null))
                .hasMessageContaining("is not allowed");
        assertThatThrownBy(() -> WebhookTarget.of("a", "http://h/x", null, null, Map.of("Host", "evil")))
                .hasMessageContaining("set by Losswatch itself");
        assertThatThrownBy(() -> WebhookTarget.of("a", "http://h/x", null, null, Map.of(DeliveryId.HEADER, "x")))
                .hasMessageContaining("set by Losswatch itself");
    }

    @Test
    void shouldReadFormatsAsPeopleWriteThem() {
        assertThat(WebhookFormat.parse("Alertmanager_Webhook")).isEqualTo(WebhookFormat.ALERTMANAGER_WEBHOOK);
        assertThat(WebhookFormat.parse(" slack ")).isEqualTo(WebhookFormat.SLACK);
        assertThatThrownBy(() -> WebhookFormat.parse("teams"))
                .hasMessage("Unknown webhook format 'teams': use one of generic, alertmanager, "
                        + "alertmanager-webhook, slack.");
    }
}
