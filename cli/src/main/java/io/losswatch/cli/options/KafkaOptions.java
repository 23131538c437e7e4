package io.losswatch.cli.options;

import io.losswatch.events.KafkaClientSettings;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** How every command reaches Kafka: the brokers, and any client setting passed through (TLS, SASL). */
public final class KafkaOptions {
    /** Where a broker started with {@code losswatch broker} listens. */
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";

    @Option(
            names = "--bootstrap-servers",
            paramLabel = "HOST:PORT",
            defaultValue = "${env:LOSSWATCH_BOOTSTRAP_SERVERS}",
            description = "Kafka brokers, comma-separated; env LOSSWATCH_BOOTSTRAP_SERVERS. Default: "
                    + DEFAULT_BOOTSTRAP_SERVERS + " (the monitor and the demo start an embedded broker instead).")
    String bootstrapServers;

    @Option(
            names = "--kafka",
            paramLabel = "KEY=VALUE",
            description = "Any Kafka client setting (security.protocol=SSL, ...), passed through, repeatable; "
                    + "also env LOSSWATCH_KAFKA_<KEY> (LOSSWATCH_KAFKA_SECURITY_PROTOCOL=SSL). The flag wins.")
    Map<String, String> kafka = new LinkedHashMap<>();

    /** The brokers given, or null when none were: the monitor then starts an embedded broker. */
    public String given() {
        return bootstrapServers == null || bootstrapServers.isBlank() ? null : bootstrapServers.strip();
    }

    /** The brokers given, or {@link #DEFAULT_BOOTSTRAP_SERVERS}. */
    public String bootstrapServers() {
        String g = given();
        return g != null ? g : DEFAULT_BOOTSTRAP_SERVERS;
    }

    /** The client settings of {@code LOSSWATCH_KAFKA_*} variables and {@code --kafka} flags; the flags win. */
    public Map<String, String> settings() {
        return KafkaClientSettings.merge(System.getenv(), kafka);
    }
}
