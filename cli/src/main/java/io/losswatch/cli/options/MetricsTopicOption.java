package io.losswatch.cli.options;

import io.losswatch.events.Topics;
import picocli.CommandLine.Option;

/** The topic of step events, under one name in every command ({@code --topic} is kept as an alias). */
public final class MetricsTopicOption {
    @Option(
            names = {"--metrics-topic", "--topic"},
            paramLabel = "TOPIC",
            defaultValue = "${env:LOSSWATCH_METRICS_TOPIC:-" + Topics.METRICS + "}",
            description = "Topic of step events (default: ${DEFAULT-VALUE}); env LOSSWATCH_METRICS_TOPIC.")
    String topic;

    public String topic() {
        return topic;
    }
}
