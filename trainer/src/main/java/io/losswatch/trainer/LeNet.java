package io.losswatch.trainer;

import java.util.Locale;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/**
 * The LeNet-style CNN of DL4J's LeNet example, for 28x28 grey images in 10 classes: conv 5x5 x20,
 * max-pool 2x2, conv 5x5 x50, max-pool 2x2, dense 500 ReLU, softmax 10 with multi-class cross
 * entropy. The convolutions are linear (identity activation) as in that example. Input is flat
 * {@code [n, 784]}.
 */
public final class LeNet {

    public static final String MODEL_LABEL = "lenet5";

    private LeNet() {}

    /** The optimizers a run can use. SGD is plain: no momentum. */
    public enum Optimizer {
        ADAM,
        SGD;

        /** The lower-case name used on the command line and in event labels. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@code adam} or {@code sgd}, any case. */
        public static Optimizer parse(String text) {
            for (Optimizer o : values()) {
                if (o.name().equalsIgnoreCase(text.trim())) {
                    return o;
                }
            }
            throw new IllegalArgumentException("unknown optimizer '" + text + "': use adam or sgd");
        }

        IUpdater updater(double learningRate, double growthPerStep) {
            if (growthPerStep != 1.0) {
                ISchedule schedule = new ExponentialSchedule(ScheduleType.ITERATION, learningRate, growthPerStep);
                return switch (this) {
                    case ADAM -> new Adam(schedule);
                    case SGD -> new Sgd(schedule);
                };
            }
            return switch (this) {
                case ADAM -> new Adam(learningRate);
                case SGD -> new Sgd(learningRate);
            };
        }
    }

    /**
     * The output layer and its loss. {@link #MCXENT} is DL4J's standard and the default; the
     * others exist to study divergence (see docs/divergence.md).
     */
    public enum Loss {
        /** Softmax + DL4J's multi-class cross entropy, clipped: the loss saturates near 23. */
        MCXENT,
        /** Identity output + {@link LossSoftmaxCrossEntropy}: cross entropy from logits, no ceiling. */
        CE_LOGITS,
        /** Identity output + mean squared error against the one-hot labels. */
        MSE;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Loss parse(String text) {
            for (Loss l : values()) {
                if (l.label().equalsIgnoreCase(text.trim()) || l.name().equalsIgnoreCase(text.trim())) {
                    return l;
                }
            }
            throw new IllegalArgumentException("unknown loss '" + text + "': use mcxent, ce-logits or mse");
        }

        OutputLayer.Builder outputLayer() {
            return switch (this) {
                case MCXENT ->
                    new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX);
                case CE_LOGITS ->
                    new OutputLayer.Builder(new LossSoftmaxCrossEntropy()).activation(Activation.IDENTITY);
                case MSE -> new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY);
            };
        }
    }

    /**
     * What can vary between runs.
     *
     * @param l2      L2 weight decay coefficient, 0 for none
     * @param dropout probability of <em>dropping</em> a unit of the dense layer, 0 for none
     * @param loss    output layer and loss, {@link Loss#MCXENT} unless studying divergence
     * @param lrGrowthPerStep the learning rate is multiplied by this every step (an exponential
     *                schedule, as in a learning-rate range test); 1 keeps it constant
     */
    public record Spec(
            Optimizer optimizer,
            double learningRate,
            long seed,
            double l2,
            double dropout,
            Loss loss,
            double lrGrowthPerStep) {
        public Spec {
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
            }
            if (l2 < 0) {
                throw new IllegalArgumentException("l2 must be >= 0, got " + l2);
            }
            if (dropout < 0 || dropout >= 1) {
                throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
            }
            loss = loss == null ? Loss.MCXENT : loss;
            if (!(lrGrowthPerStep > 0) || Double.isInfinite(lrGrowthPerStep)) {
                throw new IllegalArgumentException(
                        "learning-rate growth must be a positive number, got " + lrGrowthPerStep);
            }
        }

        public Spec(Optimizer optimizer, double learningRate, long seed) {
            this(optimizer, learningRate, seed, 0, 0, Loss.MCXENT, 1.0);
        }

        public Spec withLoss(Loss l) {
            return new Spec(optimizer, learningRate, seed, l2, dropout, l, lrGrowthPerStep);
        }

        public Spec withLrGrowthPerStep(double factor) {
            return new Spec(optimizer, learningRate, seed, l2, dropout, loss, factor);
        }
    }

    public static MultiLayerConfiguration configuration(Spec spec) {
        NeuralNetConfiguration.Builder builder = new NeuralNetConfiguration.Builder()
                .seed(spec.seed())
                .updater(spec.optimizer().updater(spec.learningRate(), spec.lrGrowthPerStep()))
                .weightInit(WeightInit.XAVIER);
        if (spec.l2() > 0) {
            builder.l2(spec.l2());
        }
        DenseLayer.Builder dense =
                new DenseLayer.Builder().activation(Activation.RELU).nOut(500);
        if (spec.dropout() > 0) {
            dense.dropOut(1.0 - spec.dropout()); // DL4J takes the probability of keeping a unit
        }
        return builder.list()
                .layer(new ConvolutionLayer.Builder(5, 5)
                        .nIn(1)
                        .stride(1, 1)
                        .nOut(20)
                        .activation(Activation.IDENTITY)
                        .build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                        .kernelSize(2, 2)
                        .stride(2, 2)
                        .build())
                .layer(new ConvolutionLayer.Builder(5, 5)
                        .stride(1, 1)
                        .nOut(50)
                        .activation(Activation.IDENTITY)
                        .build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                        .kernelSize(2, 2)
                        .stride(2, 2)
                        .build())
                .layer(dense.build())
                .layer(spec.loss().outputLayer().nOut(FashionMnist.NUM_CLASSES).build())
                .setInputType(InputType.convolutionalFlat(FashionMnist.ROWS, FashionMnist.COLUMNS, 1))
                .build();
    }

    /** A new, initialized network. */
    public static MultiLayerNetwork build(Spec spec) {
        MultiLayerNetwork net = new MultiLayerNetwork(configuration(spec));
        net.init();
        return net;
    }
}
