package io.losswatch.trainer;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Softmax cross entropy computed from logits, {@code logsumexp(z) - z[label]}, like PyTorch's
 * {@code CrossEntropyLoss}. Use it with an identity output activation.
 *
 * <p>Why it exists: DL4J's MCXENT clips the softmax output at 1e-10, so its loss can never exceed
 * -ln(1e-10) = 23; a diverging run's loss saturates there. This loss grows with the logits, without
 * a ceiling, so the loss itself shows a blow-up the way PyTorch users see it.
 */
public final class LossSoftmaxCrossEntropy implements ILossFunction {

    private static final long serialVersionUID = 1L;

    private static INDArray logits(INDArray preOutput, IActivation activationFn) {
        return activationFn.getActivation(preOutput.dup(), true);
    }

    private static INDArray scoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray z = logits(preOutput, activationFn);
        INDArray max = z.max(true, 1);
        INDArray logSumExp = Transforms.log(
                        Transforms.exp(z.subColumnVector(max), false).sum(true, 1), false)
                .addi(max);
        INDArray scores = logSumExp.muli(labels.sum(true, 1)).subi(labels.mul(z).sum(true, 1));
        if (mask != null) {
            scores.muli(mask.reshape(scores.shape()));
        }
        return scores;
    }

    @Override
    public double computeScore(
            INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask, boolean average) {
        double sum =
                scoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
        return average ? sum / labels.size(0) : sum;
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return scoreArray(labels, preOutput, activationFn, mask).reshape(labels.size(0), 1);
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray z = logits(preOutput, activationFn);
        INDArray softmax = Transforms.exp(z.subColumnVector(z.max(true, 1)), false);
        softmax.diviColumnVector(softmax.sum(true, 1));
        INDArray dLdz = softmax.muliColumnVector(labels.sum(true, 1)).subi(labels);
        if (mask != null) {
            dLdz.muliColumnVector(mask.reshape(labels.size(0), 1));
        }
        return activationFn.backprop(preOutput.dup(), dLdz).getFirst();
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(
            INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask, boolean average) {
        return new Pair<>(
                computeScore(labels, preOutput, activationFn, mask, average),
                computeGradient(labels, preOutput, activationFn, mask));
    }

    @Override
    public String name() {
        return "softmax_cross_entropy";
    }

    @Override
    public String toString() {
        return "LossSoftmaxCrossEntropy()";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LossSoftmaxCrossEntropy;
    }

    @Override
    public int hashCode() {
        return LossSoftmaxCrossEntropy.class.hashCode();
    }
}
