package io.losswatch.events;

/**
 * A record that does not meet the wire contract. {@link #reason()} is a short, bounded code fit for a
 * metric label; {@link #getMessage()} says in one sentence what is wrong.
 */
public final class InvalidEventException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Bounded set of reasons, used as the {@code reason} label of the invalid-records counter. */
    public enum Reason {
        EMPTY("empty"),
        TOO_LARGE("too_large"),
        NOT_JSON("not_json"),
        NOT_AN_OBJECT("not_an_object"),
        MISSING_FIELD("missing_field"),
        WRONG_TYPE("wrong_type"),
        UNSUPPORTED_SCHEMA("unsupported_schema"),
        INVALID_RUN_ID("invalid_run_id"),
        INVALID_STEP("invalid_step"),
        INVALID_TIME("invalid_time"),
        INVALID_VALUE("invalid_value"),
        MISSING_KEY("missing_key"),
        KEY_MISMATCH("key_mismatch");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final Reason reason;

    public InvalidEventException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
