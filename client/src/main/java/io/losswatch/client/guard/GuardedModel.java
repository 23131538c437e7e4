package io.losswatch.client.guard;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What a {@link Guard} needs from the model a trainer trains: copies of its weights and optimizer
 * state to go back to, and its learning rate. One small adapter per framework (DL4J in the trainer
 * module; the Python client has its own for PyTorch).
 *
 * @param <S> a copy of the weights and optimizer state, detached from the live model
 */
public interface GuardedModel<S> {

    /** A copy of the weights and the optimizer state as they are now. */
    S snapshot();

    /** Puts the weights and optimizer state of {@code snapshot} back into the model. */
    void restore(S snapshot);

    /** False when the weights are already not finite: nothing worth going back to. */
    boolean finite();

    /** The learning rate in force now. */
    double learningRate();

    /** Sets the learning rate of every layer or parameter group. */
    void learningRate(double rate);

    /** Writes the weights of {@code snapshot} to {@code file}, for a run that stops. */
    void save(S snapshot, Path file) throws IOException;
}
