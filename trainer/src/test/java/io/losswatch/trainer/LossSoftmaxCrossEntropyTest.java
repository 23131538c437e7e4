package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

class LossSoftmaxCrossEntropyTest {

    private static INDArray oneHot(int rows, int classes) {
        INDArray y = Nd4j.zeros(DataType.DOUBLE, rows, classes);
        for (int i = 0; i < rows; i++) {
            y.putScalar(i, (i * 7) % classes, 1.0);
        }
        return y;
    }

    @Test
    void shouldMatchDl4jCrossEntropyForOrdinaryLogits() {
        Nd4j.getRandom().setSeed(1);
        INDArray z = Nd4j.randn(DataType.DOUBLE, 6, 10).muli(3);
        INDArray y = oneHot(6, 10);
        LossSoftmaxCrossEntropy ours = new LossSoftmaxCrossEntropy();
        LossMCXENT dl4j = new LossMCXENT();

        double expected = dl4j.computeScore(y, z.dup(), new ActivationSoftmax(), null, true);
        assertThat(ours.computeScore(y, z.dup(), new ActivationIdentity(), null, true))
                .isCloseTo(expected, within(1e-9));
        INDArray expectedGrad = dl4j.computeGradient(y, z.dup(), new ActivationSoftmax(), null);
        INDArray grad = ours.computeGradient(y, z.dup(), new ActivationIdentity(), null);
        assertThat(grad.distance2(expectedGrad)).isLessThan(1e-9);
        assertThat(ours.computeScoreArray(y, z.dup(), new ActivationIdentity(), null)
                        .shape())
                .containsExactly(6, 1);
    }

    @Test
    void shouldGrowWithTheLogitsWhereDl4jCrossEntropySaturates() {
        INDArray z = Nd4j.zeros(DataType.DOUBLE, 1, 10);
        z.putScalar(0, 1, 1000.0);
        INDArray y = oneHot(1, 10); // class 0, but the logits say class 1 with a margin of 1000

        assertThat(new LossSoftmaxCrossEntropy().computeScore(y, z.dup(), new ActivationIdentity(), null, true))
                .isCloseTo(1000.0, within(1e-6));
        assertThat(new LossMCXENT().computeScore(y, z.dup(), new ActivationSoftmax(), null, true))
                .isCloseTo(-Math.log(1e-10), within(1e-3));
    }
}
