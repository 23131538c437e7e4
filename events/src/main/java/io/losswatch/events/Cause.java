package io.losswatch.events;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;

/** The likely reason a run diverges, as the diagnosis sees it. */
public enum Cause {
    LEARNING_RATE_TOO_HIGH,
    INSUFFICIENT_REGULARIZATION,
    UNSTABLE_OPTIMIZER,
    DATA_ISSUE,
    /** The events do not carry the evidence; also a cause this release does not know, as read from an alert. */
    @JsonEnumDefaultValue
    UNKNOWN,
    /**
     * The learning rate sent is below zero: every step climbs the loss instead of descending it (a
     * schedule run past its end, a sign flipped). Last, so that the order of the others stays as
     * stored in run states.
     */
    LEARNING_RATE_NEGATIVE
}
