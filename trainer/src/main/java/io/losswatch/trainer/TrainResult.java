package io.losswatch.trainer;

import java.time.Duration;

/**
 * How a run ended.
 *
 * @param runId          the run
 * @param steps          steps trained
 * @param lastLoss       loss of the last step (NaN when no step ran)
 * @param nonFinite      true when the loss became NaN or infinite
 * @param stopReason     why training ended, in words: "completed", "recovered after 1 rollback", "non-finite loss ...",
 *                       "stopped on ...", "recovery failed: ..."
 * @param ending         the same as one of a few outcomes, for exit codes
 * @param syntheticData  true when synthetic images stood in for Fashion-MNIST
 * @param sent           events the broker acknowledged (counts are the publisher's: with a shared
 *                       publisher they cover every run that uses it; 0 without Kafka)
 * @param dropped        events dropped because the publisher's buffer was full
 * @param failed         events accepted but not delivered
 * @param elapsed        wall time of the training loop
 */
public record TrainResult(
        String runId,
        long steps,
        double lastLoss,
        boolean nonFinite,
        String stopReason,
        Ending ending,
        boolean syntheticData,
        long sent,
        long dropped,
        long failed,
        Duration elapsed) {

    /** How a run ended, for a command's exit code. */
    public enum Ending {
        /** Every step trained, no alert acted on. */
        COMPLETED(0),
        /** Every step trained, after one or more rollbacks. */
        RECOVERED(0),
        /** Stopped on request (Ctrl-C). */
        STOPPED_ON_REQUEST(0),
        /** The loss stayed non-finite and no guard acted. */
        NON_FINITE(0),
        /** The guard stopped the run on a divergence and kept the weights from before it. */
        STOPPED_ON_DIVERGENCE(3),
        /** Rolling back did not help: the budget ran out, or nothing was left to go back to. */
        RECOVERY_FAILED(4);

        private final int exitCode;

        Ending(int exitCode) {
            this.exitCode = exitCode;
        }

        /** The exit code of {@code losswatch train} for this ending. */
        public int exitCode() {
            return exitCode;
        }
    }

    /** Steps per second of the training loop. */
    public double stepsPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds == 0 ? 0 : steps / seconds;
    }
}
