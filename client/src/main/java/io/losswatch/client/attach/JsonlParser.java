package io.losswatch.client.attach;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.losswatch.events.EventJson;
import io.losswatch.events.InvalidEventException;
import io.losswatch.events.StepEvent;
import java.util.List;
import java.util.Map;

/**
 * JSON Lines: one step event per line in the wire schema ({@code {"step": 3, "loss": 0.52, ...}}), as a
 * trainer's own logger writes them. {@code schema} may be left out; {@code run_id} too when
 * {@code --run-id} is given. {@code NaN} and {@code Infinity} may be bare, as Python's {@code json.dumps}
 * writes them. Each line is validated like the monitor validates a record.
 */
final class JsonlParser implements RowParser {

    private final String runId;
    private final Map<String, String> labels;

    JsonlParser(String runId, Map<String, String> labels) {
        this.runId = runId;
        this.labels = Map.copyOf(labels);
    }

    @Override
    public List<StepEvent> line(String line) {
        if (line.isBlank()) {
            return List.of();
        }
        JsonNode node;
        try {
            node = EventJson.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw new IllegalArgumentException("a line must be a JSON object");
        }
        if (!object.has("schema")) {
            object.put("schema", StepEvent.SCHEMA_VERSION);
        }
        if (!object.has("run_id") && runId != null) {
            object.put("run_id", runId);
        }
        if (!labels.isEmpty()) {
            JsonNode existing = object.get("labels");
            ObjectNode merged = existing instanceof ObjectNode o ? o : object.putObject("labels");
            labels.forEach(merged::put);
        }
        try {
            return List.of(EventJson.parseStep(EventJson.MAPPER.writeValueAsBytes(object)));
        } catch (InvalidEventException e) {
            throw new IllegalArgumentException(e.getMessage());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot re-encode the line: " + e.getOriginalMessage());
        }
    }

    @Override
    public List<StepEvent> flush() {
        return List.of();
    }

    @Override
    public void reset() {
        // no header, no state
    }
}
