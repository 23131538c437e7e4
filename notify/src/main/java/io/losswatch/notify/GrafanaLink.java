package io.losswatch.notify;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/**
 * A link to the Grafana dashboard filtered to one run: the configured dashboard URL with
 * {@code var-run_id=RUN} and a time range from an hour before the alert to now.
 */
public final class GrafanaLink {
    private static final Duration BEFORE = Duration.ofHours(1);

    private GrafanaLink() {}

    /** @return null when no dashboard URL is configured */
    public static String forRun(URI dashboard, String runId, Instant around) {
        if (dashboard == null) {
            return null;
        }
        String base = dashboard.toString();
        int hash = base.indexOf('#');
        if (hash >= 0) {
            base = base.substring(0, hash);
        }
        StringBuilder sb = new StringBuilder(base)
                .append(base.contains("?") ? '&' : '?')
                .append("var-run_id=")
                .append(URLEncoder.encode(runId, StandardCharsets.UTF_8));
        if (around != null) {
            sb.append("&from=").append(around.minus(BEFORE).toEpochMilli()).append("&to=now");
        }
        return sb.toString();
    }
}
