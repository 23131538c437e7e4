package io.losswatch.trainer;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;

/**
 * One dense output layer on the 784 raw pixels. With {@link LeNet.Loss#MSE} (its default) it is
 * linear regression onto the one-hot labels: the loss is quadratic in the weights, so plain SGD
 * above 2 / (largest Hessian eigenvalue) diverges by the same factor every step and ln(loss)
 * climbs in a straight line until the floats overflow. That is the textbook exponential divergence;
 * a CNN blows up in a few steps instead (see docs/divergence.md).
 */
public final class LinearClassifier {

    public static final String MODEL_LABEL = "linear";

    private LinearClassifier() {}

    public static MultiLayerConfiguration configuration(LeNet.Spec spec) {
        NeuralNetConfiguration.Builder builder = new NeuralNetConfiguration.Builder()
                .seed(spec.seed())
                .updater(spec.optimizer().updater(spec.learningRate(), spec.lrGrowthPerStep()))
                .weightInit(WeightInit.XAVIER);
        if (spec.l2() > 0) {
            builder.l2(spec.l2());
        }
        return builder.list()
                .layer(spec.loss()
                        .outputLayer()
                        .nIn(FashionMnist.ROWS * FashionMnist.COLUMNS)
                        .nOut(FashionMnist.NUM_CLASSES)
                        .build())
                .build();
    }

    public static MultiLayerNetwork build(LeNet.Spec spec) {
        MultiLayerNetwork net = new MultiLayerNetwork(configuration(spec));
        net.init();
        return net;
    }
}
