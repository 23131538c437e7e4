package io.losswatch.cli.options;

import java.time.Duration;
import picocli.CommandLine.Option;

/** How long records may wait unread before {@code /health} says so, under one name in monitor and notify. */
public final class StallAfterOption {
    @Option(
            names = "--stall-after",
            paramLabel = "DURATION",
            defaultValue = "${env:LOSSWATCH_STALL_AFTER:-60s}",
            converter = DurationConverter.class,
            description = "/health answers 503 when records have waited this long with nothing committed: "
                    + "steps for the monitor, alerts for a webhook target (default: ${DEFAULT-VALUE}).")
    Duration stallAfter;

    public Duration value() {
        return stallAfter;
    }

    /** One sentence when the value cannot work, or null. */
    public String problem() {
        return stallAfter.isZero() || stallAfter.isNegative() ? "--stall-after must be longer than 0, like 60s." : null;
    }
}
