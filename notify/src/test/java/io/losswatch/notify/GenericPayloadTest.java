package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertType;
import io.losswatch.events.EventJson;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class GenericPayloadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T = Instant.parse("2026-11-27T05:00:00.123Z");

    @Test
    void shouldSendTheEventAsOnTheTopicWithTheIncidentItBelongsTo() throws Exception {
        AlertEvent blowup = TestAlerts.firing("adam-lr1", AlertType.LOSS_BLOWUP, 1, T);
        AlertEvent gradients = TestAlerts.firing("adam-lr1", AlertType.GRADIENT_EXPLOSION, 1, T);
        FiringIndex index = new FiringIndex();
        index.remember(blowup);
        index.remember(gradients);
        byte[] raw = EventJson.writeAlert(gradients);

        JsonNode body = JSON.readTree(WebhookFormat.GENERIC.body(Incident.of(gradients, index), raw, null));

        assertThat(body.get("incident_id").asText()).isEqualTo(blowup.alertId());
        assertThat(body.get("alert_id").asText()).isEqualTo(gradients.alertId());
        assertThat(EventJson.parseAlert(JSON.writeValueAsBytes(body))).isEqualTo(gradients);
    }
}
