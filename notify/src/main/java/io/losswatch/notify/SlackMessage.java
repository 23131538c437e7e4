package io.losswatch.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.RestartReason;
import io.losswatch.events.Severity;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Locale;

/**
 * A Slack incoming-webhook message: {@code text} (what notifications and old clients show) and Block
 * Kit blocks that say which run, what, since which step, the likely cause and what to do, with a
 * button to the run's Grafana dashboard when one is configured.
 */
public final class SlackMessage {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_EVIDENCE = 4;

    private SlackMessage() {}

    public static byte[] of(Incident i, URI grafana) {
        AlertEvent o = i.origin();
        AlertEvent e = i.event();
        String run = o.runId();
        String what = AlertWording.what(o);

        ObjectNode root = JSON.createObjectNode();
        ArrayNode blocks = JSON.createArrayNode();
        AlertEvent.Diagnosis d = i.diagnosis();
        String todo = d != null && d.suggestion() != null && !d.suggestion().isBlank() ? d.suggestion() : null;
        String restart = RestartReason.of(e);
        if (i.resolved() && restart != null) {
            // the run went back or started over: its alerts close with it, none "cleared"; what it does next
            // is judged afresh, so a new divergence is a new incident
            boolean rollback = RestartReason.isRollback(restart);
            if (i.closesIncident()) {
                String tail = "this closes the incident (" + what + ", since step " + o.onsetStep() + ")";
                root.put(
                        "text",
                        "Run " + run + ": " + restart + "; " + tail
                                + ". If it diverges again, that is a new incident.");
                section(
                        blocks,
                        (rollback ? ":leftwards_arrow_with_hook:" : ":repeat:") + " *Run `" + esc(run) + "`:* "
                                + esc(restart) + ". " + esc(capitalize(tail))
                                + "; if the run diverges again, that is a new incident.");
            } else {
                String line = "Run " + run + ": " + what + " (since step " + o.onsetStep() + ") closed by the "
                        + (rollback ? "rollback" : "new attempt") + " at step " + e.step();
                root.put("text", line);
                section(blocks, ":heavy_check_mark: " + esc(line) + ".");
            }
        } else if (i.resolved() && i.closesIncident()) {
            root.put(
                    "text",
                    "Resolved: run " + run + ": " + what + " (since step " + o.onsetStep() + ") has cleared by step "
                            + e.step());
            section(
                    blocks,
                    ":white_check_mark: *Resolved* - run `" + esc(run) + "`: " + esc(what) + " (since step "
                            + o.onsetStep() + ") has cleared by step " + e.step() + "; nothing else is firing.");
        } else if (i.resolved()) {
            // one line: the incident stays open while the run's other alerts fire
            String line = "Cleared on run " + run + ": " + what + " (step " + e.step() + "); other alerts of this "
                    + "incident still fire";
            root.put("text", line);
            section(blocks, ":heavy_check_mark: " + esc(line) + ".");
        } else if (!i.opensIncident()) {
            // a follow-up within an incident already announced: one line that names it, and what to do
            String line = "[" + i.severity().wire() + "] run " + run + ", same incident: also " + what + " at step "
                    + o.step() + (todo == null ? "" : ". What to do: " + todo);
            root.put("text", line);
            section(
                    blocks,
                    ":arrow_right_hook: *Run `" + esc(run) + "`, same incident:* also " + esc(what) + " at step "
                            + o.step() + "." + (todo == null ? "" : " *What to do:* " + esc(todo)));
        } else {
            String icon = i.severity() == Severity.CRITICAL ? ":rotating_light:" : ":warning:";
            root.put("text", "[" + i.severity().wire() + "] run " + run + ": " + what + " since step " + o.onsetStep());
            StringBuilder head = new StringBuilder()
                    .append(icon)
                    .append(" *Run `")
                    .append(esc(run))
                    .append("`: ")
                    .append(esc(what))
                    .append("* since step ")
                    .append(o.onsetStep())
                    .append(" (noticed at step ")
                    .append(o.step())
                    .append(").");
            String rate = AlertWording.rate(o);
            if (!rate.isEmpty()) {
                head.append("\n").append(esc(capitalize(rate))).append('.');
            }
            section(blocks, head.toString());
            if (todo != null) {
                section(blocks, "*What to do:* " + esc(todo));
            }

            ObjectNode facts = blocks.addObject().put("type", "section");
            ArrayNode fields = facts.putArray("fields");
            field(fields, "*Severity*\n" + i.severity().wire());
            if (d != null && d.cause() != null) {
                field(fields, "*Likely cause*\n" + esc(capitalize(AlertWording.likelyCause(d))));
            }
            if (AlertWording.meaningfulFit(o)) {
                field(
                        fields,
                        String.format(
                                Locale.ROOT,
                                "*Fit*\nlast %d steps, R² %.2f",
                                o.fit().windowSteps(),
                                o.fit().r2()));
            }
            field(fields, "*Alert*\n" + esc(capitalize(AlertWording.shortName(o.type()))));
            if (d != null && !d.evidence().isEmpty()) {
                ArrayNode elements = blocks.addObject().put("type", "context").putArray("elements");
                d.evidence().stream()
                        .limit(MAX_EVIDENCE)
                        .forEach(ev ->
                                elements.addObject().put("type", "mrkdwn").put("text", esc(AlertWording.plain(ev))));
            }
        }
        String link = GrafanaLink.forRun(grafana, run, i.startedAt());
        if (link != null) {
            ObjectNode button = blocks.addObject()
                    .put("type", "actions")
                    .putArray("elements")
                    .addObject();
            button.put("type", "button")
                    .put("url", link)
                    .putObject("text")
                    .put("type", "plain_text")
                    .put("text", "Open run in Grafana");
        }
        root.set("blocks", blocks);
        try {
            return JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static void section(ArrayNode blocks, String mrkdwn) {
        blocks.addObject()
                .put("type", "section")
                .putObject("text")
                .put("type", "mrkdwn")
                .put("text", mrkdwn);
    }

    private static void field(ArrayNode fields, String mrkdwn) {
        fields.addObject().put("type", "mrkdwn").put("text", mrkdwn);
    }

    /** Slack's mrkdwn needs these three escaped; anything else is shown as written. */
    static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
