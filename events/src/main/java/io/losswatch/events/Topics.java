package io.losswatch.events;

/** Default topic names; every one can be changed by configuration. */
public final class Topics {
    /** Step events, keyed by run id. */
    public static final String METRICS = "training.metrics";
    /** Alert events, keyed by run id. */
    public static final String ALERTS = "training.alerts";
    /** Raw records that failed validation, with the reason in header {@link #ERROR_HEADER}. */
    public static final String DLQ = "training.metrics.dlq";

    public static final String ERROR_HEADER = "losswatch.error";
    public static final String REASON_HEADER = "losswatch.reason";
    public static final String SOURCE_TOPIC_HEADER = "losswatch.source.topic";
    public static final String SOURCE_PARTITION_HEADER = "losswatch.source.partition";
    public static final String SOURCE_OFFSET_HEADER = "losswatch.source.offset";

    private Topics() {}
}
