package io.losswatch.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Several targets in one file, YAML (JSON works too, being YAML):
 * <pre>
 * webhooks:
 *   - name: oncall
 *     url: http://alertmanager:9093
 *     format: alertmanager
 *   - name: ml-team
 *     url: ${SLACK_WEBHOOK_URL}
 *     format: slack
 *   - name: pipeline
 *     url: https://ci.example.com/hooks/losswatch
 *     secret: ${PIPELINE_WEBHOOK_SECRET}
 *     headers:
 *       Authorization: Bearer ${PIPELINE_TOKEN}
 * </pre>
 * {@code ${NAME}} is replaced by the environment variable NAME, so secrets need not sit in the file.
 */
public final class WebhookConfigFile {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
    private static final Set<String> KEYS = Set.of("name", "url", "format", "secret", "headers");

    private WebhookConfigFile() {}

    public static List<WebhookTarget> read(Path file, Map<String, String> env) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("Webhook config file " + file + " does not exist.");
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read webhook config file " + file + ": " + e.getMessage());
        }
        return parse(text, file.toString(), env);
    }

    static List<WebhookTarget> parse(String text, String source, Map<String, String> env) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        }
        JsonNode list = root == null ? null : root.get("webhooks");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new IllegalArgumentException(source + " needs a list 'webhooks:' with at least one entry "
                    + "(each with url: and, optionally, name:, format:, secret:, headers:).");
        }
        List<WebhookTarget> out = new ArrayList<>();
        int n = 0;
        for (JsonNode entry : list) {
            n++;
            String where = source + ", webhook " + n;
            if (!entry.isObject()) {
                throw new IllegalArgumentException(where + ": expected url:, name:, format:, secret:, headers:.");
            }
            for (Iterator<String> it = entry.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!KEYS.contains(k)) {
                    throw new IllegalArgumentException(
                            where + ": unknown key '" + k + "'; use name, url, format, secret, headers.");
                }
            }
            String name = text(entry, "name", where, env);
            if (name != null) {
                where = source + ", webhook '" + name + "'";
            }
            String url = text(entry, "url", where, env);
            if (url == null) {
                throw new IllegalArgumentException(where + " has no url:.");
            }
            String format = text(entry, "format", where, env);
            Map<String, String> headers = new LinkedHashMap<>();
            JsonNode h = entry.get("headers");
            if (h != null && !h.isNull()) {
                if (!h.isObject()) {
                    throw new IllegalArgumentException(where + ": headers: must map header names to values.");
                }
                for (Map.Entry<String, JsonNode> e : h.properties()) {
                    headers.put(e.getKey(), expand(e.getValue().asText(), where, env));
                }
            }
            try {
                out.add(WebhookTarget.of(
                        name,
                        url,
                        format == null ? WebhookFormat.GENERIC : WebhookFormat.parse(format),
                        text(entry, "secret", where, env),
                        headers));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static String text(JsonNode entry, String key, String where, Map<String, String> env) {
        JsonNode v = entry.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isValueNode()) {
            throw new IllegalArgumentException(where + ": " + key + ": must be a single value.");
        }
        return expand(v.asText(), where, env);
    }

    /** Replaces {@code ${NAME}} by the environment variable; an unset one is an error, never silently empty. */
    static String expand(String s, String where, Map<String, String> env) {
        Matcher m = VAR.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = env.get(m.group(1));
            if (v == null) {
                throw new IllegalArgumentException(
                        where + " uses ${" + m.group(1) + "}, which is not set in the environment.");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
