package io.losswatch.cli.options;

import io.losswatch.notify.Backoff;
import io.losswatch.notify.NotifierConfig;
import io.losswatch.notify.WebhookConfigFile;
import io.losswatch.notify.WebhookFormat;
import io.losswatch.notify.WebhookTarget;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The webhook options of {@code losswatch monitor} and {@code losswatch notify} (a picocli mixin).
 *
 * <p>{@code --webhook-name}, {@code --webhook-format} and {@code --webhook-secret} go with the
 * {@code --webhook} URLs by position; given once, a format or secret applies to all of them. Each
 * falls back to an environment variable; lists there are separated by spaces.
 */
public final class WebhookOptions {

    @Option(
            names = "--webhook",
            paramLabel = "URL",
            split = "\\s+",
            hideParamSyntax = true,
            defaultValue = "${env:LOSSWATCH_WEBHOOK}",
            description = "Deliver alerts to this http(s) URL (repeatable). Credentials in the URL become "
                    + "basic auth and are never logged. Env: LOSSWATCH_WEBHOOK (space-separated).")
    List<String> urls = new ArrayList<>();

    @Option(
            names = "--webhook-format",
            paramLabel = "FORMAT",
            split = "\\s+",
            hideParamSyntax = true,
            defaultValue = "${env:LOSSWATCH_WEBHOOK_FORMAT}",
            description = "generic (the alert JSON), alertmanager (push to Alertmanager's API), "
                    + "alertmanager-webhook (Alertmanager's webhook payload) or slack. Once for all --webhook "
                    + "URLs, or once per URL in order (default: generic).")
    List<String> formats = new ArrayList<>();

    @Option(
            names = "--webhook-secret",
            paramLabel = "SECRET",
            split = "\\s+",
            hideParamSyntax = true,
            defaultValue = "${env:LOSSWATCH_WEBHOOK_SECRET}",
            description = "Sign requests with HMAC-SHA256 using this shared secret. Once for all, or once per "
                    + "URL. Flags show in the process list: prefer LOSSWATCH_WEBHOOK_SECRET or the config file.")
    List<String> secrets = new ArrayList<>();

    @Option(
            names = "--webhook-name",
            paramLabel = "NAME",
            split = "\\s+",
            hideParamSyntax = true,
            defaultValue = "${env:LOSSWATCH_WEBHOOK_NAME}",
            description = "Name of the target in logs and metrics, and of its delivery position; once per URL "
                    + "(default: scheme://host:port of the URL).")
    List<String> names = new ArrayList<>();

    @Option(
            names = "--webhook-config",
            paramLabel = "FILE",
            defaultValue = "${env:LOSSWATCH_WEBHOOK_CONFIG}",
            description = "YAML file listing several targets (webhooks: - name, url, format, secret, headers); "
                    + "$${VAR} in it reads the environment.")
    Path configFile;

    @Option(
            names = "--webhook-timeout",
            paramLabel = "DURATION",
            defaultValue = "${env:LOSSWATCH_WEBHOOK_TIMEOUT:-10s}",
            converter = DurationConverter.class,
            description = "Connect and answer timeout of one delivery attempt (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(
            names = "--webhook-retry-initial",
            paramLabel = "DURATION",
            defaultValue = "${env:LOSSWATCH_WEBHOOK_RETRY_INITIAL:-1s}",
            converter = DurationConverter.class,
            description = "Wait after a failed attempt; it doubles with each failure, with jitter "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration retryInitial;

    @Option(
            names = "--webhook-retry-max",
            paramLabel = "DURATION",
            defaultValue = "${env:LOSSWATCH_WEBHOOK_RETRY_MAX:-5m}",
            converter = DurationConverter.class,
            description = "Longest wait between attempts; a target is retried until it takes the alert "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration retryMax;

    @Option(
            names = "--webhook-backfill",
            paramLabel = "DURATION",
            defaultValue = "${env:LOSSWATCH_WEBHOOK_BACKFILL:-1h}",
            converter = DurationConverter.class,
            description = "On a target's first start, also deliver alerts raised this long before; older ones "
                    + "are skipped (default: ${DEFAULT-VALUE}).")
    Duration backfill;

    @Option(
            names = "--webhook-group",
            paramLabel = "PREFIX",
            defaultValue = "${env:LOSSWATCH_WEBHOOK_GROUP:-" + NotifierConfig.DEFAULT_GROUP_PREFIX + "}",
            description = "Consumer group prefix; each target uses PREFIX.NAME. Instances with the same prefix "
                    + "share the work (default: ${DEFAULT-VALUE}).")
    String group;

    @Option(
            names = "--grafana-url",
            paramLabel = "URL",
            defaultValue = "${env:LOSSWATCH_GRAFANA_URL}",
            description = "URL of the Grafana run dashboard; Slack messages and Alertmanager alerts link to it "
                    + "with var-run_id set to the run.")
    String grafanaUrl;

    /** True when any target is configured. */
    public boolean any() {
        return !urls.isEmpty() || configFile != null;
    }

    /**
     * The targets of the flags and of the config file, checked.
     *
     * @throws IllegalArgumentException with one sentence that says what to change
     */
    public List<WebhookTarget> targets(Map<String, String> env) {
        List<WebhookTarget> out = new ArrayList<>();
        int n = urls.size();
        if (n == 0 && !(formats.isEmpty() && secrets.isEmpty() && names.isEmpty()) && configFile == null) {
            throw new IllegalArgumentException("--webhook-format, --webhook-secret and --webhook-name go with "
                    + "--webhook URL; give the URL too.");
        }
        for (int i = 0; i < n; i++) {
            String format = pick(formats, i, n, "--webhook-format");
            out.add(WebhookTarget.of(
                    pickName(i, n),
                    urls.get(i),
                    format == null ? WebhookFormat.GENERIC : WebhookFormat.parse(format),
                    pick(secrets, i, n, "--webhook-secret"),
                    Map.of()));
        }
        if (configFile != null) {
            out.addAll(WebhookConfigFile.read(configFile, env));
        }
        return out;
    }

    private String pickName(int i, int n) {
        if (names.isEmpty()) {
            return null;
        }
        if (names.size() != n) {
            throw new IllegalArgumentException("--webhook-name was given " + names.size() + " times for " + n
                    + " --webhook URLs: give one name per URL, in the same order.");
        }
        return names.get(i);
    }

    private static String pick(List<String> values, int i, int n, String option) {
        if (values.isEmpty()) {
            return null;
        }
        if (values.size() == 1) {
            return values.get(0);
        }
        if (values.size() == n) {
            return values.get(i);
        }
        throw new IllegalArgumentException(option + " was given " + values.size() + " times for " + n
                + " --webhook URLs: give it once (for all of them) or once per URL, in the same order.");
    }

    /**
     * The delivery settings for the given Kafka cluster and targets.
     *
     * @throws IllegalArgumentException with one sentence that says what to change
     */
    public NotifierConfig config(
            String bootstrapServers, Map<String, String> kafka, String alertsTopic, List<WebhookTarget> targets) {
        URI grafana = null;
        if (grafanaUrl != null && !grafanaUrl.isBlank()) {
            try {
                grafana = URI.create(grafanaUrl.trim());
            } catch (IllegalArgumentException e) {
                grafana = null;
            }
            if (grafana == null
                    || grafana.getScheme() == null
                    || grafana.getHost() == null
                    || !(grafana.getScheme().equalsIgnoreCase("http")
                            || grafana.getScheme().equalsIgnoreCase("https"))) {
                throw new IllegalArgumentException("--grafana-url must be an http(s) URL of the run dashboard, "
                        + "like https://grafana.example.com/d/losswatch-run/losswatch-run.");
            }
        }
        if (group == null || group.isBlank()) {
            throw new IllegalArgumentException("--webhook-group must not be empty.");
        }
        if (retryInitial.isZero() || retryInitial.isNegative() || retryMax.compareTo(retryInitial) < 0) {
            throw new IllegalArgumentException(
                    "--webhook-retry-initial must be positive and at most " + "--webhook-retry-max.");
        }
        if (backfill.isNegative()) {
            throw new IllegalArgumentException("--webhook-backfill must not be negative.");
        }
        return new NotifierConfig(
                bootstrapServers,
                kafka,
                alertsTopic,
                group.trim(),
                targets,
                timeout,
                new Backoff(retryInitial, retryMax),
                backfill,
                grafana);
    }
}
