package io.losswatch.events;

import com.fasterxml.jackson.annotation.JsonValue;

/** How urgent an alert is. */
public enum Severity {
    WARNING("warning"),
    CRITICAL("critical");

    private final String wire;

    Severity(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }
}
