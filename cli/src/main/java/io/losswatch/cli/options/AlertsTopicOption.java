package io.losswatch.cli.options;

import io.losswatch.events.Topics;
import picocli.CommandLine.Option;

/** The topic of alert events, under one name in every command. */
public final class AlertsTopicOption {
    @Option(
            names = "--alerts-topic",
            paramLabel = "TOPIC",
            defaultValue = "${env:LOSSWATCH_ALERTS_TOPIC:-" + Topics.ALERTS + "}",
            description = "Topic of alert events (default: ${DEFAULT-VALUE}); env LOSSWATCH_ALERTS_TOPIC.")
    String topic;

    public String topic() {
        return topic;
    }
}
