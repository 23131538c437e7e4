package io.losswatch.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.losswatch.events.AlertEvent;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Alerts in Alertmanager's terms: labels (what identifies the alert), annotations (what people read),
 * {@code startsAt}/{@code endsAt}. Two shapes: the alert list Alertmanager's API takes
 * ({@code POST /api/v2/alerts}), and the notification its webhook receiver sends (version "4").
 */
public final class AlertmanagerPayload {
    /**
     * A firing alert is sent once, so its {@code endsAt} is set this far ahead: without one,
     * Alertmanager would end it after its {@code resolve_timeout} (5 minutes by default), as it does
     * for clients that stop re-sending. The {@code resolved} event ends it earlier.
     */
    public static final Duration HOLD = Duration.ofHours(24);
    /** What Alertmanager writes as {@code endsAt} of a firing alert in webhook notifications. */
    static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    static final String RECEIVER = "losswatch";

    private static final ObjectMapper JSON = new ObjectMapper();

    private AlertmanagerPayload() {}

    /** alertname (the type), run_id, severity, cause and alert_id: the same for a firing and its resolved. */
    public static Map<String, String> labels(Incident i) {
        AlertEvent o = i.origin();
        Map<String, String> l = new LinkedHashMap<>();
        l.put("alertname", o.type() == null ? "LOSSWATCH_ALERT" : o.type().name());
        l.put("run_id", o.runId());
        l.put("severity", i.severity().wire());
        if (i.diagnosis() != null && i.diagnosis().cause() != null) {
            l.put("cause", i.diagnosis().cause().name());
        }
        l.put("alert_id", o.alertId());
        // the same on every alert of a run's incident: group_by [incident] gives one page per incident
        l.put("incident", i.incidentId());
        return l;
    }

    /** summary, suggestion and description (the evidence); empty ones are left out. */
    public static Map<String, String> annotations(Incident i) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("summary", AlertWording.summary(i));
        AlertEvent.Diagnosis d = i.diagnosis();
        if (d != null && d.suggestion() != null && !d.suggestion().isBlank()) {
            a.put("suggestion", d.suggestion());
        }
        String evidence = AlertWording.evidence(d);
        if (!evidence.isEmpty()) {
            a.put("description", evidence);
        }
        return a;
    }

    /** When the alert ends: far ahead while firing (see {@link #HOLD}), the resolve time once resolved. */
    public static Instant endsAt(Incident i) {
        return i.resolved() ? i.decidedAt() : i.startedAt().plus(HOLD);
    }

    /** The body of {@code POST /api/v2/alerts}: a list with this one alert. */
    public static byte[] apiV2(Incident i, URI grafana) {
        ArrayNode list = JSON.createArrayNode();
        ObjectNode alert = list.addObject();
        alert.set("labels", stringMap(labels(i)));
        alert.set("annotations", stringMap(annotations(i)));
        Instant start = i.startedAt();
        Instant end = endsAt(i);
        alert.put("startsAt", start.toString());
        // Alertmanager refuses an alert that ends before it starts
        alert.put("endsAt", (end.isBefore(start) ? start : end).toString());
        String link = GrafanaLink.forRun(grafana, i.origin().runId(), start);
        if (link != null) {
            alert.put("generatorURL", link);
        }
        return bytes(list);
    }

    /** The body Alertmanager's webhook receiver would send for this alert alone (payload version "4"). */
    public static byte[] webhookV4(Incident i, URI grafana) {
        Map<String, String> labels = labels(i);
        Map<String, String> annotations = annotations(i);
        String status = i.resolved() ? "resolved" : "firing";
        Map<String, String> group = new LinkedHashMap<>();
        group.put("alertname", labels.get("alertname"));
        group.put("run_id", labels.get("run_id"));

        ObjectNode root = JSON.createObjectNode();
        root.put("receiver", RECEIVER);
        root.put("status", status);
        ArrayNode alerts = root.putArray("alerts");
        ObjectNode alert = alerts.addObject();
        alert.put("status", status);
        alert.set("labels", stringMap(labels));
        alert.set("annotations", stringMap(annotations));
        alert.put("startsAt", i.startedAt().toString());
        alert.put("endsAt", i.resolved() ? endsAt(i).toString() : ZERO_TIME);
        String link = GrafanaLink.forRun(grafana, i.origin().runId(), i.startedAt());
        alert.put("generatorURL", link == null ? "" : link);
        alert.put("fingerprint", fingerprint(labels));
        root.set("groupLabels", stringMap(group));
        root.set("commonLabels", stringMap(labels));
        root.set("commonAnnotations", stringMap(annotations));
        root.put("externalURL", grafana == null ? "" : grafana.toString());
        root.put("version", "4");
        root.put("groupKey", "{}:" + groupKey(group));
        root.put("truncatedAlerts", 0);
        return bytes(root);
    }

    /**
     * Alertmanager's fingerprint of a label set (Prometheus {@code model.LabelSet.Fingerprint}):
     * FNV-1a 64 over the names and values sorted by name, each followed by the byte 0xff.
     */
    public static String fingerprint(Map<String, String> labels) {
        long h = 0xcbf29ce484222325L;
        for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
            h = fnv(h, e.getKey().getBytes(StandardCharsets.UTF_8));
            h = fnv(h, new byte[] {(byte) 0xff});
            h = fnv(h, e.getValue().getBytes(StandardCharsets.UTF_8));
            h = fnv(h, new byte[] {(byte) 0xff});
        }
        return String.format("%016x", h);
    }

    private static long fnv(long h, byte[] bytes) {
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static String groupKey(Map<String, String> group) {
        StringBuilder sb = new StringBuilder("{");
        group.forEach((k, v) -> {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(k)
                    .append("=\"")
                    .append(v.replace("\\", "\\\\").replace("\"", "\\\""))
                    .append('"');
        });
        return sb.append('}').toString();
    }

    private static ObjectNode stringMap(Map<String, String> m) {
        ObjectNode n = JSON.createObjectNode();
        m.forEach(n::put);
        return n;
    }

    private static byte[] bytes(Object node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
