package io.losswatch.events;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Kafka client settings passed through by users, for TLS, SASL and tuning: {@code --kafka key=value}
 * flags and {@code LOSSWATCH_KAFKA_<KEY>} environment variables ({@code LOSSWATCH_KAFKA_SECURITY_PROTOCOL}
 * becomes {@code security.protocol}). Flags win over the environment.
 */
public final class KafkaClientSettings {
    public static final String ENV_PREFIX = "LOSSWATCH_KAFKA_";
    /**
     * The client id of the admin client that checks the broker before a command starts. Its failures
     * are told in one sentence by the command, so the console logging drops Kafka's own line about them
     * (see the cli's log4j2.xml); the same failure later, in a producer or consumer, is still logged.
     */
    public static final String PREFLIGHT_CLIENT_ID = "losswatch-preflight";

    private KafkaClientSettings() {}

    public static Map<String, String> merge(Map<String, String> env, Map<String, String> flags) {
        Map<String, String> out = new TreeMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith(ENV_PREFIX) && k.length() > ENV_PREFIX.length()) {
                out.put(
                        k.substring(ENV_PREFIX.length())
                                .toLowerCase(Locale.ROOT)
                                .replace('_', '.'),
                        v);
            }
        });
        if (flags != null) {
            out.putAll(flags);
        }
        return out;
    }

    /** True for settings whose values must never be printed. */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password")
                || k.contains("jaas")
                || k.contains("secret")
                || k.endsWith(".key")
                || k.contains("token");
    }

    /**
     * The end of a "cannot reach Kafka" sentence, for settings without {@code security.protocol}: a
     * broker that requires SASL or TLS closes a plaintext client's connections without an answer, so to
     * that client it looks just like a broker that is not there.
     */
    public static String securityHint(Map<String, String> settings) {
        return settings.containsKey("security.protocol")
                ? ""
                : "; a broker that requires SASL or TLS also needs its client settings "
                        + "(--kafka security.protocol=... and sasl.* or ssl.*, or LOSSWATCH_KAFKA_*)";
    }
}
