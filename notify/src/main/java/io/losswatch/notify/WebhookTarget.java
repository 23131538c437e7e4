package io.losswatch.notify;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One place alerts are delivered to.
 *
 * <p>The URL may carry credentials (user info, or a secret path as Slack's incoming webhooks do), so it
 * is never printed: logs, metrics and messages name a target by {@link #name()}, which is the name the
 * user gave or else {@code scheme://host:port}.
 *
 * @param name configured name, or {@code scheme://host:port} of the URL when none was given
 * @param named whether the user gave the name
 * @param url the URL as configured, credentials included
 * @param secret shared secret for the HMAC signature, or null to send unsigned requests
 * @param headers extra request headers (e.g. a bearer token); values are treated as secrets
 */
public record WebhookTarget(
        String name, boolean named, URI url, WebhookFormat format, String secret, Map<String, String> headers) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}");
    /** Headers the HTTP client sets itself, or that this code sets. */
    private static final Set<String> RESERVED_HEADERS = Set.of(
            "connection",
            "content-length",
            "expect",
            "host",
            "upgrade",
            "content-type",
            Signature.SIGNATURE_HEADER.toLowerCase(Locale.ROOT),
            Signature.TIMESTAMP_HEADER.toLowerCase(Locale.ROOT),
            DeliveryId.HEADER.toLowerCase(Locale.ROOT));

    static final String ALERTMANAGER_PATH = "/api/v2/alerts";

    public WebhookTarget {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    /**
     * Checks and builds a target.
     *
     * @param name null or blank to derive one from the URL
     * @throws IllegalArgumentException with one sentence that says what to change; it never repeats the URL
     */
    public static WebhookTarget of(
            String name, String url, WebhookFormat format, String secret, Map<String, String> headers) {
        String given = name == null || name.isBlank() ? null : name.trim();
        if (given != null && !NAME.matcher(given).matches()) {
            throw new IllegalArgumentException(
                    "Webhook name '" + given + "' is not allowed: use 1-64 characters of A-Z a-z 0-9 . _ -");
        }
        String where = given == null ? "" : " of webhook '" + given + "'";
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("The URL" + where + " is empty: give an http:// or https:// URL.");
        }
        URI u;
        try {
            u = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("The URL" + where + " is not a valid URL (not shown, it may hold "
                    + "credentials): check it, and percent-encode special characters in a user name or password.");
        }
        String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("Only http:// and https:// webhook URLs are accepted"
                    + (scheme == null ? "; the URL" + where + " has no scheme" : ", not " + scheme + where)
                    + ": write it as https://host/path.");
        }
        if (u.getHost() == null || u.getHost().isEmpty()) {
            throw new IllegalArgumentException("The URL" + where + " has no host name that can be read "
                    + "(note that host names cannot contain underscores): write it as https://host/path.");
        }
        if (format == null) {
            format = WebhookFormat.GENERIC;
        }
        Map<String, String> h = new LinkedHashMap<>();
        if (headers != null) {
            headers.forEach((k, v) -> {
                String key = k == null ? "" : k.trim();
                if (!HEADER_NAME.matcher(key).matches()) {
                    throw new IllegalArgumentException(
                            "Header name '" + key + "'" + where + " is not a valid " + "HTTP header name.");
                }
                if (RESERVED_HEADERS.contains(key.toLowerCase(Locale.ROOT))) {
                    throw new IllegalArgumentException("Header '" + key + "'" + where
                            + " is set by Losswatch itself; remove it from the configuration.");
                }
                if (v == null || v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0) {
                    throw new IllegalArgumentException("Header '" + key + "'" + where + " needs a value on one line.");
                }
                h.put(key, v);
            });
        }
        String s = secret == null || secret.isBlank() ? null : secret.trim();
        return new WebhookTarget(given == null ? origin(u) : given, given != null, u, format, s, h);
    }

    /** {@code scheme://host:port}: what identifies a target when it has no name, free of credentials and paths. */
    static String origin(URI u) {
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        int port = u.getPort() >= 0 ? u.getPort() : "https".equals(scheme) ? 443 : 80;
        return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + ":" + port;
    }

    /** The URL requests go to: without user info; for Alertmanager, its alerts API. */
    public URI endpoint() {
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        if (format == WebhookFormat.ALERTMANAGER && !path.endsWith(ALERTMANAGER_PATH)) {
            path = (path.endsWith("/") ? path.substring(0, path.length() - 1) : path) + ALERTMANAGER_PATH;
        }
        StringBuilder sb = new StringBuilder(url.getScheme()).append("://");
        String host = url.getHost();
        sb.append(host);
        if (url.getPort() >= 0) {
            sb.append(':').append(url.getPort());
        }
        sb.append(path);
        if (url.getRawQuery() != null) {
            sb.append('?').append(url.getRawQuery());
        }
        return URI.create(sb.toString());
    }

    /** An {@code Authorization: Basic} value built from the URL's user info, when it has one. */
    public Optional<String> basicAuthorization() {
        String info = url.getUserInfo();
        if (info == null || info.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("Basic " + Base64.getEncoder().encodeToString(info.getBytes(StandardCharsets.UTF_8)));
    }

    /** Masks every part of this target that may be a credential, for text that is about to be logged. */
    public String redact(String text) {
        if (text == null) {
            return "";
        }
        List<String> hidden = new ArrayList<>();
        hidden.add(url.toString());
        hidden.add(endpoint().toString());
        for (String info : new String[] {url.getRawUserInfo(), url.getUserInfo()}) {
            addIfLong(hidden, info);
            if (info != null) {
                for (String part : info.split(":")) {
                    addIfLong(hidden, part);
                }
            }
        }
        addIfLong(hidden, url.getRawPath());
        if (url.getRawPath() != null) {
            for (String segment : url.getRawPath().split("/")) {
                // long segments may be a token (Slack's webhook paths are); short ones are plain words
                if (segment.length() >= 8) {
                    hidden.add(segment);
                }
            }
        }
        addIfLong(hidden, url.getRawQuery());
        if (url.getRawQuery() != null) {
            for (String pair : url.getRawQuery().split("&")) {
                addIfLong(hidden, pair.substring(pair.indexOf('=') + 1));
            }
        }
        addIfLong(hidden, secret);
        headers.values().forEach(v -> {
            addIfLong(hidden, v);
            addIfLong(hidden, v.substring(v.lastIndexOf(' ') + 1)); // the token of "Bearer <token>"
        });
        String out = text;
        hidden.sort((a, b) -> b.length() - a.length()); // the longest first, so parts of it are not left
        for (String h : hidden) {
            out = out.replace(h, "***");
        }
        return out;
    }

    private static void addIfLong(List<String> list, String s) {
        // short parts ("/", "v2") would mask ordinary words and say nothing about a credential
        if (s != null && s.length() >= 3) {
            list.add(s);
        }
    }

    /** The name, usable as part of a Kafka consumer group id. */
    String groupSuffix() {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    @Override
    public String toString() {
        return name + " (" + format.wire() + (secret != null ? ", signed" : "") + ")";
    }
}
