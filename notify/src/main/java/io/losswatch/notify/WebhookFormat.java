package io.losswatch.notify;

import java.net.URI;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a target receives: the alert as is, or the shape a tool the user already runs understands. */
public enum WebhookFormat {
    /** The alert event JSON exactly as it is on the alerts topic. */
    GENERIC("generic"),
    /** A push to Alertmanager's {@code /api/v2/alerts}: Alertmanager then routes, groups and silences. */
    ALERTMANAGER("alertmanager"),
    /** The payload Alertmanager's own webhook receiver sends (version "4"), for receivers written for it. */
    ALERTMANAGER_WEBHOOK("alertmanager-webhook"),
    /** A Slack incoming-webhook message. */
    SLACK("slack");

    private final String wire;

    WebhookFormat(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /**
     * The request body for one alert.
     *
     * @param raw the record value as read from the topic; the generic format passes it on unchanged
     * @param grafana the run dashboard's URL, or null
     */
    public byte[] body(Incident incident, byte[] raw, URI grafana) {
        return switch (this) {
            case GENERIC -> GenericPayload.of(incident, raw);
            case ALERTMANAGER -> AlertmanagerPayload.apiV2(incident, grafana);
            case ALERTMANAGER_WEBHOOK -> AlertmanagerPayload.webhookV4(incident, grafana);
            case SLACK -> SlackMessage.of(incident, grafana);
        };
    }

    /** Reads a format as users write it; case does not matter. */
    public static WebhookFormat parse(String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (WebhookFormat f : values()) {
            if (f.wire.equals(v)) {
                return f;
            }
        }
        throw new IllegalArgumentException("Unknown webhook format '" + s + "': use one of " + names() + ".");
    }

    public static String names() {
        return Arrays.stream(values()).map(WebhookFormat::wire).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return wire;
    }
}
