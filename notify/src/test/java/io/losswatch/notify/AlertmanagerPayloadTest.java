package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertType;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AlertmanagerPayloadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T = Instant.parse("2026-11-27T05:00:00.123Z");
    private static final URI GRAFANA = URI.create("https://grafana.example.com/d/lw/run?orgId=1");
    private final AlertEvent firing = TestAlerts.firing("fmnist-sgd", AlertType.LOSS_EXPONENTIAL_GROWTH, 37, T);
    private final AlertEvent resolved = TestAlerts.resolved(firing, 120, T.plusSeconds(90));

    @Test
    void shouldLabelTheAlertByTypeRunSeverityAndCause() throws Exception {
        JsonNode alert = JSON.readTree(AlertmanagerPayload.apiV2(Incident.firing(firing), null))
                .get(0);
        assertThat(alert.get("labels").toString())
                .isEqualTo("{\"alertname\":\"LOSS_EXPONENTIAL_GROWTH\","
                        + "\"run_id\":\"fmnist-sgd\",\"severity\":\"critical\",\"cause\":\"LEARNING_RATE_TOO_HIGH\","
                        + "\"alert_id\":\"fmnist-sgd/LOSS_EXPONENTIAL_GROWTH/37\","
                        + "\"incident\":\"fmnist-sgd/LOSS_EXPONENTIAL_GROWTH/37\"}");
        assertThat(alert.get("annotations").get("summary").asText())
                .isEqualTo("Run fmnist-sgd: the loss is growing "
                        + "exponentially since step 37 (doubling every 8.6 steps, overflow in ~1011 steps)");
        assertThat(alert.get("annotations").get("suggestion").asText()).startsWith("Lower the learning rate");
        assertThat(alert.get("annotations").get("description").asText()).contains("update_ratio 0.41 > 0.1");
        assertThat(alert.has("generatorURL")).isFalse();
    }

    @Test
    void shouldKeepAFiringAlertActiveUntilItsResolvedArrives() throws Exception {
        JsonNode alert = JSON.readTree(AlertmanagerPayload.apiV2(Incident.firing(firing), null))
                .get(0);
        assertThat(alert.get("startsAt").asText()).isEqualTo("2026-11-27T05:00:00.123Z");
        assertThat(Instant.parse(alert.get("endsAt").asText())).isEqualTo(T.plus(AlertmanagerPayload.HOLD));
    }

    @Test
    void shouldEndTheAlertWithTheSameLabelsWhenResolved() throws Exception {
        FiringIndex index = new FiringIndex();
        index.remember(firing);
        JsonNode fired = JSON.readTree(AlertmanagerPayload.apiV2(Incident.firing(firing), null))
                .get(0);
        JsonNode ended = JSON.readTree(AlertmanagerPayload.apiV2(Incident.of(resolved, index), null))
                .get(0);
        assertThat(ended.get("labels")).isEqualTo(fired.get("labels"));
        assertThat(ended.get("startsAt")).isEqualTo(fired.get("startsAt"));
        assertThat(ended.get("endsAt").asText()).isEqualTo("2026-11-27T05:01:30.123Z");
    }

    @Test
    void shouldStillEndSomethingWhenTheFiringIsNoLongerKnown() throws Exception {
        JsonNode ended = JSON.readTree(AlertmanagerPayload.apiV2(Incident.of(resolved, new FiringIndex()), null))
                .get(0);
        assertThat(ended.get("labels").get("severity").asText()).isEqualTo("warning");
        assertThat(ended.get("labels").has("cause")).isFalse();
        assertThat(ended.get("startsAt")).isEqualTo(ended.get("endsAt"));
    }

    @Test
    void shouldLinkToTheRunsDashboardWhenConfigured() throws Exception {
        JsonNode alert = JSON.readTree(AlertmanagerPayload.apiV2(Incident.firing(firing), GRAFANA))
                .get(0);
        assertThat(alert.get("generatorURL").asText())
                .isEqualTo("https://grafana.example.com/d/lw/run?orgId=1" + "&var-run_id=fmnist-sgd&from="
                        + T.minusSeconds(3600).toEpochMilli() + "&to=now");
    }

    @Test
    void shouldWriteTheWebhookPayloadVersion4() throws Exception {
        JsonNode n = JSON.readTree(AlertmanagerPayload.webhookV4(Incident.firing(firing), null));
        assertThat(n.get("version").asText()).isEqualTo("4");
        assertThat(n.get("status").asText()).isEqualTo("firing");
        assertThat(n.get("groupKey").asText())
                .isEqualTo("{}:{alertname=\"LOSS_EXPONENTIAL_GROWTH\", run_id=\"fmnist-sgd\"}");
        assertThat(n.get("groupLabels").toString())
                .isEqualTo("{\"alertname\":\"LOSS_EXPONENTIAL_GROWTH\",\"run_id\":\"fmnist-sgd\"}");
        assertThat(n.get("truncatedAlerts").asInt()).isZero();
        JsonNode a = n.get("alerts").get(0);
        assertThat(a.get("status").asText()).isEqualTo("firing");
        assertThat(a.get("endsAt").asText()).isEqualTo("0001-01-01T00:00:00Z");
        assertThat(a.get("fingerprint").asText()).hasSize(16);
        assertThat(n.get("commonLabels")).isEqualTo(a.get("labels"));

        FiringIndex index = new FiringIndex();
        index.remember(firing);
        JsonNode r = JSON.readTree(AlertmanagerPayload.webhookV4(Incident.of(resolved, index), null));
        assertThat(r.get("status").asText()).isEqualTo("resolved");
        assertThat(r.get("alerts").get(0).get("endsAt").asText()).isEqualTo("2026-11-27T05:01:30.123Z");
        assertThat(r.get("alerts").get(0).get("fingerprint")).isEqualTo(a.get("fingerprint"));
    }

    @Test
    void shouldFingerprintLabelsAsPrometheusDoes() {
        // a test vector of prometheus/common model/signature_test.go
        assertThat(Long.parseUnsignedLong(
                        AlertmanagerPayload.fingerprint(
                                Map.of("name", "garland, briggs", "fear", "love is not enough")),
                        16))
                .isEqualTo(5799056148416392346L);
        assertThat(AlertmanagerPayload.fingerprint(Map.of())).isEqualTo("cbf29ce484222325");
    }
}
