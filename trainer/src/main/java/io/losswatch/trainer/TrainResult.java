package io.losswatch.trainer;

import java.time.Duration;

/**
 * How a run ended.
 *
 * @param runId          the run
 * @param steps          steps trained
 * @param lastLoss       loss of the last step (NaN when no step ran)
 * @param nonFinite      true when the loss became NaN or infinite
 * @param stopReason     why training ended: "completed", "non-finite loss ...", "stopped"
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
        boolean syntheticData,
        long sent,
        long dropped,
        long failed,
        Duration elapsed) {

    /** Steps per second of the training loop. */
    public double stepsPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds == 0 ? 0 : steps / seconds;
    }
}
