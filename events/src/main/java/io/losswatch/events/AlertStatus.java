package io.losswatch.events;

import com.fasterxml.jackson.annotation.JsonValue;

/** Lifecycle of an alert: one {@code firing} per run and type, later one {@code resolved}. */
public enum AlertStatus {
    FIRING("firing"),
    RESOLVED("resolved");

    private final String wire;

    AlertStatus(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }
}
