package io.losswatch.events;

/** What kind of trouble an alert reports. New types may be added; consumers should accept unknown ones. */
public enum AlertType {
    /** The loss became NaN or infinite: immediate, critical. */
    LOSS_NON_FINITE,
    /** ln(loss) rises linearly with the step over a window: the loss grows exponentially. */
    LOSS_EXPONENTIAL_GROWTH,
    /** The gradient norm grows exponentially or far above the run's early level. */
    GRADIENT_EXPLOSION,
    /** Validation loss climbs consistently while training loss falls. */
    VALIDATION_DIVERGENCE,
    /** The loss jumped far above its level and did not come back. */
    LOSS_BLOWUP,
    /** The loss is pinned at chance level and gradients have died: the run stopped learning. */
    TRAINING_COLLAPSED
}
