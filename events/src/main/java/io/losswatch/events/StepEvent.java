package io.losswatch.events;

import java.time.Instant;
import java.util.Map;

/**
 * One training step of one run: what any trainer writes to {@code training.metrics}.
 *
 * <p>Boxed fields are optional: {@code null} means the trainer did not send them. Non-finite values
 * (NaN, infinities) are legal wherever a number is; they are what divergence looks like.
 *
 * @param schema wire schema version, {@link #SCHEMA_VERSION}
 * @param runId 1-128 characters of {@code [A-Za-z0-9._:/-]}
 * @param step step (iteration) number, {@code >= 0}
 * @param time when the step ran; {@code null} means "use the record timestamp"
 * @param loss training loss of this step (may be non-finite)
 * @param gradNorm L2 norm of the mean (not summed) minibatch gradient
 * @param layerGradNorms per-parameter-block gradient norms, e.g. {@code 0_W}
 * @param learningRate learning rate in force for this step
 * @param paramNorm L2 norm of all parameters
 * @param updateRatio norm of this step's update divided by the parameter norm
 * @param valLoss validation loss, only on steps where validation ran
 * @param epoch epoch number
 * @param labels free-form bounded labels (model, optimizer, num_classes, ...)
 * @param resumedFrom on the first step after a rollback: the step whose checkpoint the run resumed
 *     from. The monitor resolves the run's open alerts and judges the resumed run afresh.
 */
public record StepEvent(
        int schema,
        String runId,
        long step,
        Instant time,
        double loss,
        Double gradNorm,
        Map<String, Double> layerGradNorms,
        Double learningRate,
        Double paramNorm,
        Double updateRatio,
        Double valLoss,
        Integer epoch,
        Map<String, String> labels,
        Long resumedFrom) {

    public static final int SCHEMA_VERSION = 1;

    public StepEvent {
        layerGradNorms = layerGradNorms == null ? Map.of() : layerGradNorms;
        labels = labels == null ? Map.of() : labels;
    }

    /** A step that is not the first after a rollback. */
    public StepEvent(
            int schema,
            String runId,
            long step,
            Instant time,
            double loss,
            Double gradNorm,
            Map<String, Double> layerGradNorms,
            Double learningRate,
            Double paramNorm,
            Double updateRatio,
            Double valLoss,
            Integer epoch,
            Map<String, String> labels) {
        this(
                schema,
                runId,
                step,
                time,
                loss,
                gradNorm,
                layerGradNorms,
                learningRate,
                paramNorm,
                updateRatio,
                valLoss,
                epoch,
                labels,
                null);
    }

    /** The smallest valid event: a run, a step and a loss. */
    public static StepEvent of(String runId, long step, double loss) {
        return new StepEvent(SCHEMA_VERSION, runId, step, null, loss, null, null, null, null, null, null, null, null);
    }

    public StepEvent withTime(Instant t) {
        return new StepEvent(
                schema,
                runId,
                step,
                t,
                loss,
                gradNorm,
                layerGradNorms,
                learningRate,
                paramNorm,
                updateRatio,
                valLoss,
                epoch,
                labels,
                resumedFrom);
    }

    public StepEvent withGradNorm(Double g) {
        return new StepEvent(
                schema,
                runId,
                step,
                time,
                loss,
                g,
                layerGradNorms,
                learningRate,
                paramNorm,
                updateRatio,
                valLoss,
                epoch,
                labels,
                resumedFrom);
    }

    public StepEvent withLearningRate(Double lr) {
        return new StepEvent(
                schema,
                runId,
                step,
                time,
                loss,
                gradNorm,
                layerGradNorms,
                lr,
                paramNorm,
                updateRatio,
                valLoss,
                epoch,
                labels,
                resumedFrom);
    }

    public StepEvent withValLoss(Double v) {
        return new StepEvent(
                schema,
                runId,
                step,
                time,
                loss,
                gradNorm,
                layerGradNorms,
                learningRate,
                paramNorm,
                updateRatio,
                v,
                epoch,
                labels,
                resumedFrom);
    }

    public StepEvent withEpoch(Integer ep) {
        return new StepEvent(
                schema,
                runId,
                step,
                time,
                loss,
                gradNorm,
                layerGradNorms,
                learningRate,
                paramNorm,
                updateRatio,
                valLoss,
                ep,
                labels,
                resumedFrom);
    }

    public StepEvent withParamNorm(Double p) {
        return new StepEvent(
                schema,
                runId,
                step,
                time,
                loss,
                gradNorm,
                layerGradNorms,
                learningRate,
                p,
                updateRatio,
                valLoss,
                epoch,
                labels,
                resumedFrom);
    }

    public StepEvent withUpdateRatio(Double u) {
        return new StepEvent(
                schema,
                runId,
                step,
                time,
                loss,
                gradNorm,
                layerGradNorms,
                learningRate,
                paramNorm,
                u,
                valLoss,
                epoch,
                labels,
                resumedFrom);
    }

    public StepEvent withLabels(Map<String, String> l) {
        return new StepEvent(
                schema,
                runId,
                step,
                time,
                loss,
                gradNorm,
                layerGradNorms,
                learningRate,
                paramNorm,
                updateRatio,
                valLoss,
                epoch,
                l,
                resumedFrom);
    }

    /** The first step after a rollback to the checkpoint of step {@code from}. */
    public StepEvent withResumedFrom(Long from) {
        return new StepEvent(
                schema,
                runId,
                step,
                time,
                loss,
                gradNorm,
                layerGradNorms,
                learningRate,
                paramNorm,
                updateRatio,
                valLoss,
                epoch,
                labels,
                from);
    }
}
