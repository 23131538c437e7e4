package io.losswatch.events;

/** A problem the user can fix (unreachable broker, missing topic, port in use): its message says how. */
public final class StartupException extends Exception {
    private static final long serialVersionUID = 1L;

    public StartupException(String message) {
        super(message, null, false, false);
    }
}
