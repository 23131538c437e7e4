package io.losswatch.events;

/** The likely reason a run diverges, as the diagnosis sees it. */
public enum Cause {
    LEARNING_RATE_TOO_HIGH,
    INSUFFICIENT_REGULARIZATION,
    UNSTABLE_OPTIMIZER,
    DATA_ISSUE,
    UNKNOWN
}
