package io.losswatch.client.guard;

import io.losswatch.client.AlertAction;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How a {@link Guard} acts on a run's critical alerts.
 *
 * @param runId the run whose alerts count
 * @param action stop, rollback, skip (or ignore: only report)
 * @param checkpointEvery steps between the in-memory checkpoints a rollback can go back to
 * @param checkpointsKept in-memory checkpoints kept; the oldest, taken before any training, always stays
 * @param maxRollbacks rollbacks allowed; the next critical alert stops the run as a failed recovery
 * @param learningRateFactor what a rollback multiplies the learning rate by
 * @param checkpointDir where a stop saves the weights of the checkpoint before the onset
 */
public record GuardConfig(
        String runId,
        AlertAction action,
        int checkpointEvery,
        int checkpointsKept,
        int maxRollbacks,
        double learningRateFactor,
        Path checkpointDir) {

    /** Ten steps apart: a rollback loses at most ten steps more than it must. */
    public static final int DEFAULT_CHECKPOINT_EVERY = 10;
    /** Ten checkpoints: a hundred steps back at the default spacing, as PaLM's restarts went. */
    public static final int DEFAULT_CHECKPOINTS_KEPT = 10;
    /** After three tenfold cuts the rate is a thousandth of where it started: not a rate problem any more. */
    public static final int DEFAULT_MAX_ROLLBACKS = 3;

    public static final double DEFAULT_LEARNING_RATE_FACTOR = 0.1;

    public GuardConfig {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(checkpointDir, "checkpointDir");
        if (checkpointEvery < 1 || checkpointsKept < 2 || maxRollbacks < 0) {
            throw new IllegalArgumentException(
                    "checkpointEvery must be >= 1, checkpointsKept >= 2 and maxRollbacks >= 0");
        }
        if (!(learningRateFactor > 0 && learningRateFactor < 1)) {
            throw new IllegalArgumentException("learningRateFactor must be between 0 and 1, got " + learningRateFactor);
        }
    }

    public static GuardConfig defaults(String runId, AlertAction action) {
        return new GuardConfig(
                runId,
                action,
                DEFAULT_CHECKPOINT_EVERY,
                DEFAULT_CHECKPOINTS_KEPT,
                DEFAULT_MAX_ROLLBACKS,
                DEFAULT_LEARNING_RATE_FACTOR,
                Path.of("checkpoints"));
    }

    public GuardConfig withCheckpointEvery(int steps) {
        return new GuardConfig(runId, action, steps, checkpointsKept, maxRollbacks, learningRateFactor, checkpointDir);
    }

    public GuardConfig withMaxRollbacks(int n) {
        return new GuardConfig(runId, action, checkpointEvery, checkpointsKept, n, learningRateFactor, checkpointDir);
    }

    public GuardConfig withCheckpointDir(Path dir) {
        return new GuardConfig(runId, action, checkpointEvery, checkpointsKept, maxRollbacks, learningRateFactor, dir);
    }
}
