package io.losswatch.monitor;

/** A problem the user can fix (unreachable broker, missing topic, port in use): its message says how. */
public final class MonitorStartupException extends Exception {
    private static final long serialVersionUID = 1L;

    public MonitorStartupException(String message) {
        super(message, null, false, false);
    }
}
