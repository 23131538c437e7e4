package io.losswatch.notify;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.losswatch.events.EventJson;
import java.io.IOException;

/**
 * The generic webhook body: the alert event as it is on the alerts topic, plus {@code incident_id}
 * (the {@code alert_id} of the alert that opened the run's incident), so that a receiver can group a
 * run's alerts of one incident. The topic's event itself does not carry it.
 */
final class GenericPayload {
    /** Alert events may carry NaN or Infinity as bare tokens, as the topic's contract allows. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private GenericPayload() {}

    static byte[] of(Incident incident, byte[] raw) {
        byte[] event = raw != null ? raw : EventJson.writeAlert(incident.event());
        try {
            JsonNode tree = JSON.readTree(event);
            if (tree instanceof ObjectNode o) {
                o.put("incident_id", incident.incidentId());
                return JSON.writeValueAsBytes(o);
            }
        } catch (IOException e) {
            // not JSON after all: the worker has validated it, so this does not happen; send it as read
        }
        return event;
    }
}
