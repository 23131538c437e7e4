package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.losswatch.events.StepEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class MetricsListenerTest {

    private static final int IN = 4;
    private static final int CLASSES = 3;
    private static final double LR = 0.1;

    /** Softmax regression: one output layer, so the gradient has a closed form. */
    private static MultiLayerNetwork softmaxRegression() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(1)
                .dataType(DataType.DOUBLE)
                .updater(new Sgd(LR))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(IN)
                        .nOut(CLASSES)
                        .activation(Activation.SOFTMAX)
                        .build())
                .build());
        net.init();
        return net;
    }

    private static DataSet batch(int size, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.DOUBLE, size, IN);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, size, CLASSES);
        for (int i = 0; i < size; i++) {
            y.putScalar(i, i % CLASSES, 1.0);
        }
        return new DataSet(x, y);
    }

    /** Mean cross-entropy gradient by hand: dW = X^T (P - Y) / B, db = sum of rows of (P - Y) / B. */
    private static double[] handGradientNorms(double[][] x, double[][] y, double[][] w, double[] b) {
        int batch = x.length;
        double[][] dw = new double[IN][CLASSES];
        double[] db = new double[CLASSES];
        for (int n = 0; n < batch; n++) {
            double[] z = new double[CLASSES];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < CLASSES; k++) {
                z[k] = b[k];
                for (int i = 0; i < IN; i++) {
                    z[k] += x[n][i] * w[i][k];
                }
                max = Math.max(max, z[k]);
            }
            double sum = 0;
            for (int k = 0; k < CLASSES; k++) {
                z[k] = Math.exp(z[k] - max);
                sum += z[k];
            }
            for (int k = 0; k < CLASSES; k++) {
                double delta = z[k] / sum - y[n][k];
                db[k] += delta / batch;
                for (int i = 0; i < IN; i++) {
                    dw[i][k] += x[n][i] * delta / batch;
                }
            }
        }
        double w2 = 0;
        for (double[] row : dw) {
            for (double v : row) {
                w2 += v * v;
            }
        }
        double b2 = 0;
        for (double v : db) {
            b2 += v * v;
        }
        return new double[] {Math.sqrt(w2), Math.sqrt(b2)};
    }

    @Test
    void shouldReportTheNormOfTheMeanGradientNotTheSum() {
        MultiLayerNetwork net = softmaxRegression();
        DataSet data = batch(8, 3);
        double[] expected = handGradientNorms(
                data.getFeatures().toDoubleMatrix(),
                data.getLabels().toDoubleMatrix(),
                net.getParam("0_W").toDoubleMatrix(),
                net.getParam("0_b").toDoubleVector());
        List<StepEvent> events = new ArrayList<>();
        net.addListeners(new MetricsListener("unit", Map.of("optimizer", "sgd"), events::add));

        net.fit(data);

        StepEvent event = events.get(0);
        assertThat(event.layerGradNorms().get("0_W")).isCloseTo(expected[0], within(1e-9));
        assertThat(event.layerGradNorms().get("0_b")).isCloseTo(expected[1], within(1e-9));
        assertThat(event.gradNorm()).isCloseTo(Math.hypot(expected[0], expected[1]), within(1e-9));
    }

    @Test
    void shouldReportTheSameGradientNormForABatchAndTheBatchRepeatedTwice() {
        DataSet once = batch(6, 5);
        DataSet twice = new DataSet(
                Nd4j.vstack(once.getFeatures(), once.getFeatures()), Nd4j.vstack(once.getLabels(), once.getLabels()));
        List<StepEvent> a = new ArrayList<>();
        List<StepEvent> b = new ArrayList<>();
        MultiLayerNetwork first = softmaxRegression();
        first.addListeners(new MetricsListener("a", Map.of(), a::add));
        MultiLayerNetwork second = softmaxRegression();
        second.addListeners(new MetricsListener("b", Map.of(), b::add));

        first.fit(once);
        second.fit(twice);

        assertThat(b.get(0).gradNorm()).isCloseTo(a.get(0).gradNorm(), within(1e-12));
        assertThat(b.get(0).loss()).isCloseTo(a.get(0).loss(), within(1e-12));
    }

    @Test
    void shouldReportLossLearningRateParamNormAndUpdateRatioOfEachStep() {
        MultiLayerNetwork net = softmaxRegression();
        DataSet data = batch(8, 7);
        List<StepEvent> events = new ArrayList<>();
        net.addListeners(new MetricsListener("unit-run", Map.of("model", "softmax"), events::add));

        net.fit(data);
        net.fit(data);

        assertThat(events).extracting(StepEvent::step).containsExactly(0L, 1L);
        StepEvent event = events.get(1);
        assertThat(event.schema()).isEqualTo(StepEvent.SCHEMA_VERSION);
        assertThat(event.runId()).isEqualTo("unit-run");
        assertThat(event.labels()).containsEntry("model", "softmax");
        assertThat(event.time()).isNotNull();
        assertThat(event.epoch()).isZero();
        assertThat(event.learningRate()).isEqualTo(LR);
        assertThat(event.loss()).isCloseTo(net.score(), within(1e-12));
        assertThat(event.paramNorm()).isCloseTo(net.params().norm2Number().doubleValue(), within(1e-12));
        // Plain SGD moves the parameters by lr times the mean gradient: the update ratio follows.
        assertThat(event.updateRatio()).isCloseTo(LR * event.gradNorm() / event.paramNorm(), within(1e-12));
        assertThat(event.valLoss()).isNull();
    }

    @Test
    void shouldReportTheUpdateRatioAsTheParameterChangeOfTheStepForAdamWithWeightDecay() {
        // Adam and L2 make the update differ from lr x gradient: the ratio must still be what the step moved
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(1)
                .dataType(DataType.DOUBLE)
                .updater(new Adam(0.05))
                .l2(1e-2)
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nIn(IN)
                        .nOut(CLASSES)
                        .activation(Activation.SOFTMAX)
                        .build())
                .build());
        net.init();
        DataSet data = batch(8, 11);
        List<StepEvent> events = new ArrayList<>();
        net.addListeners(new MetricsListener("adam", Map.of(), events::add));
        net.fit(data);

        INDArray before = net.params().dup();
        net.fit(data);
        INDArray after = net.params();

        double expected = after.distance2(before) / after.norm2Number().doubleValue();
        assertThat(events.get(1).updateRatio()).isCloseTo(expected, within(1e-9 * expected));
    }

    @Test
    void shouldComputeTheNormOfFloatArraysViewsAndNonFiniteEntries() {
        Nd4j.getRandom().setSeed(13);
        INDArray floats = Nd4j.randn(DataType.FLOAT, 1, 431_080);
        INDArray contiguousView = floats.get(NDArrayIndex.point(0), NDArrayIndex.interval(1_000, 401_000));
        INDArray matrixView =
                Nd4j.randn(DataType.FLOAT, 'f', 800, 500).get(NDArrayIndex.all(), NDArrayIndex.interval(0, 300));
        INDArray stridedView =
                Nd4j.randn(DataType.FLOAT, 300, 200).get(NDArrayIndex.all(), NDArrayIndex.interval(0, 150));
        for (INDArray a : List.of(floats, contiguousView, matrixView, stridedView, Nd4j.randn(DataType.DOUBLE, 3, 7))) {
            double exact = a.castTo(DataType.DOUBLE).norm2Number().doubleValue();
            // ND4J's own float reduction, used for the strided view, is off by up to about 1e-4
            assertThat(MetricsListener.norm2(a)).isCloseTo(exact, within(1e-4 * exact));
        }
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
            INDArray a = floats.dup();
            a.putScalar(0, 200_000, bad);
            assertThat(Double.valueOf(MetricsListener.norm2(a))).isEqualTo(Double.valueOf(bad));
        }
        // one entry of 1e20 overflows a float sum of squares (ND4J's norm2 says Infinity); BLAS scales
        INDArray huge = floats.dup();
        huge.putScalar(0, 200_000, 1e20);
        assertThat(MetricsListener.norm2(huge)).isCloseTo(1e20, within(1e14));
    }

    @Test
    void shouldReportValidationLossOnlyOnValidationSteps() {
        MultiLayerNetwork net = softmaxRegression();
        DataSet data = batch(8, 9);
        DataSet validation = batch(5, 10);
        List<StepEvent> events = new ArrayList<>();
        net.addListeners(new MetricsListener("v", Map.of(), events::add).withValidation(validation, 2));

        for (int i = 0; i < 3; i++) {
            net.fit(data);
        }

        assertThat(events.get(0).valLoss()).isPositive();
        assertThat(events.get(1).valLoss()).isNull();
        assertThat(events.get(2).valLoss()).isPositive();
    }
}
