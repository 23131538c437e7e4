package io.losswatch.trainer;

import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/** Which network a run trains. */
public enum Architecture {
    /** {@link LeNet}: the CNN, cross entropy by default. */
    LENET(LeNet.MODEL_LABEL, LeNet.Loss.MCXENT),
    /** {@link LinearClassifier}: linear regression onto one-hot labels by default. */
    LINEAR(LinearClassifier.MODEL_LABEL, LeNet.Loss.MSE);

    private final String label;
    private final LeNet.Loss defaultLoss;

    Architecture(String label, LeNet.Loss defaultLoss) {
        this.label = label;
        this.defaultLoss = defaultLoss;
    }

    /** The {@code model} label of its events. */
    public String label() {
        return label;
    }

    public LeNet.Loss defaultLoss() {
        return defaultLoss;
    }

    public MultiLayerNetwork build(LeNet.Spec spec) {
        return switch (this) {
            case LENET -> LeNet.build(spec);
            case LINEAR -> LinearClassifier.build(spec);
        };
    }

    /** Parses {@code lenet} (or {@code lenet5}) and {@code linear}, any case. */
    public static Architecture parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (Architecture a : values()) {
            if (a.name().toLowerCase(Locale.ROOT).equals(t) || a.label.equals(t)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown model '" + text + "': use lenet or linear");
    }
}
