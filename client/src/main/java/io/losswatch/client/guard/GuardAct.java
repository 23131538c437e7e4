package io.losswatch.client.guard;

import io.losswatch.events.AlertEvent;

/**
 * What a {@link Guard} has just done, after a step.
 *
 * @param kind stop, rollback or skip
 * @param alert the critical alert it acted on
 * @param checkpointStep the step whose checkpoint the weights went back to (stop: the one saved); -1 when none
 * @param skipBatches for skip: how many batches the training loop should drop now; 0 otherwise
 * @param previousLearningRate the learning rate before the guard acted
 * @param learningRate the learning rate from now on
 * @param recoveryFailed a stop because the budget of rollbacks ran out (or nothing was left to go back to)
 * @param message one line for the trainer's console
 */
public record GuardAct(
        Kind kind,
        AlertEvent alert,
        long checkpointStep,
        long skipBatches,
        double previousLearningRate,
        double learningRate,
        boolean recoveryFailed,
        String message) {

    /** The three things a guard can do about a diverging run. */
    public enum Kind {
        STOP,
        ROLLBACK,
        SKIP
    }
}
