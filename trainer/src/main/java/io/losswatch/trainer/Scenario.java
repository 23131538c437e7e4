package io.losswatch.trainer;

import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Named presets of {@code losswatch train --scenario NAME}: the three classic causes of "my CNN loss
 * increases exponentially" on real Fashion-MNIST, each next to its healthy counterpart. Every
 * description says what the run really does, as measured in {@code docs/divergence.md}; where the
 * classic claim does not reproduce it says so and shows what does.
 */
public enum Scenario {
    LR_ADAM_TOO_HIGH(
            "learning-rate",
            "lr-adam-healthy",
            "LeNet, Adam lr 1.0: the loss jumps 2.3 -> 17-22 at step 1 (update ratio 1.0), then sits at chance level 2.30 with dead units; never NaN",
            c -> c.withOptimizer(LeNet.Optimizer.ADAM, 1.0).withSteps(200)),
    LR_ADAM_HEALTHY(
            "learning-rate",
            "lr-adam-too-high",
            "LeNet, Adam lr 1e-3 (healthy counterpart): loss 2.32 -> 1.10 (step 20) -> 0.35 (step 199)",
            c -> c.withOptimizer(LeNet.Optimizer.ADAM, 1e-3).withSteps(200)),
    LR_SGD_ABOVE_EDGE(
            "learning-rate",
            "lr-sgd-below-edge",
            "LeNet, plain SGD lr 0.2, just above its stable 0.16: 14 normal steps, then 2.4 -> 7 -> 14 -> 21 and NaN near step 21. "
                    + "Not tens of steps of exponential growth: a CNN blows up within 5-8 steps (see lr-exponential-linear for that)",
            c -> c.withOptimizer(LeNet.Optimizer.SGD, 0.2).withSteps(200)),
    LR_SGD_BELOW_EDGE(
            "learning-rate",
            "lr-sgd-above-edge",
            "LeNet, plain SGD lr 0.15, just below the edge (healthy counterpart): loss 2.32 -> 0.85 (step 40) -> 0.46 (step 199), one bump to 2.75, no NaN",
            c -> c.withOptimizer(LeNet.Optimizer.SGD, 0.15).withSteps(200)),
    LR_EXPONENTIAL_LINEAR(
            "learning-rate",
            "lr-linear-healthy",
            "Linear model (MSE), plain SGD lr 0.1, above 2/largest Hessian eigenvalue: ln(loss) climbs in a straight line, 0.5 -> 1e27 in 200 steps (b about 0.3/step)",
            c -> c.withModel(Architecture.LINEAR, null)
                    .withOptimizer(LeNet.Optimizer.SGD, 0.1)
                    .withSteps(200)),
    LR_LINEAR_HEALTHY(
            "learning-rate",
            "lr-exponential-linear",
            "Linear model (MSE), plain SGD lr 0.05 (healthy counterpart): loss 0.48 -> 0.2 and stays",
            c -> c.withModel(Architecture.LINEAR, null)
                    .withOptimizer(LeNet.Optimizer.SGD, 0.05)
                    .withSteps(200)),
    OVERFIT(
            "regularization",
            "overfit-regularized",
            "LeNet, Adam 1e-3, 256 training examples, no L2, no dropout, val_loss on 500 held-out every 10 steps, 400 steps: "
                    + "training loss 2.29 -> 0.003, validation loss lowest 0.66 at steps 90-120, then climbs to 1.03 by step 300 "
                    + "and 1.11 by step 390 (slowly, about 0.002/step in ln, not exponentially)",
            c -> c.withOptimizer(LeNet.Optimizer.ADAM, 1e-3)
                    .withSteps(400)
                    .withData(c.dataDir(), 256)
                    .withValidateEvery(10)
                    .withRegularization(0, 0)),
    OVERFIT_REGULARIZED(
            "regularization",
            "overfit",
            "Same data with L2 5e-3 and dropout 0.5 (healthy counterpart): validation loss falls to 1.37 by step 200 and "
                    + "1.2-1.36 from step 260 to 390, no climb (to about 1.05 by step 480 in longer runs); both losses include "
                    + "the L2 term, so they start at 3.9",
            c -> c.withOptimizer(LeNet.Optimizer.ADAM, 1e-3)
                    .withSteps(400)
                    .withData(c.dataDir(), 256)
                    .withValidateEvery(10)
                    .withRegularization(5e-3, 0.5)),
    OPTIMIZER_SGD(
            "optimizer",
            "optimizer-adam",
            "LeNet, plain SGD lr 0.3 (2x its stable rate): loss 2.3 -> 9.6 -> 21 by step 4, gradient norm 2.3 -> 3.8e7, NaN from step 7. "
                    + "At the same lr Adam is no better here (Adam 0.1 blows up too): the classic 'use Adam' fix works by its smaller steps",
            c -> c.withOptimizer(LeNet.Optimizer.SGD, 0.3).withSteps(100)),
    OPTIMIZER_ADAM(
            "optimizer",
            "optimizer-sgd",
            "LeNet, Adam lr 1e-3 (healthy counterpart): trains, loss 2.32 -> 0.8 by step 50",
            c -> c.withOptimizer(LeNet.Optimizer.ADAM, 1e-3).withSteps(100));

    private final String family;
    private final String counterpart;
    private final String description;
    private final UnaryOperator<TrainConfig> preset;

    Scenario(String family, String counterpart, String description, UnaryOperator<TrainConfig> preset) {
        this.family = family;
        this.counterpart = counterpart;
        this.description = description;
        this.preset = preset;
    }

    /** The command-line name: {@code lr-adam-too-high}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** learning-rate, regularization or optimizer. */
    public String family() {
        return family;
    }

    /** The scenario to compare with: the healthy one for a diverging one, and back. */
    public String counterpart() {
        return counterpart;
    }

    public String description() {
        return description;
    }

    /** True for the scenarios that are meant to diverge. */
    public boolean diverges() {
        return !description.contains("(healthy counterpart)");
    }

    /** {@code base} (run id, Kafka, data, seed) with this scenario's model, optimizer, steps and regularization. */
    public TrainConfig apply(TrainConfig base) {
        return preset.apply(base);
    }

    public static Scenario parse(String name) {
        for (Scenario s : values()) {
            if (s.label().equalsIgnoreCase(name) || s.name().equalsIgnoreCase(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scenario '" + name + "': see --list-scenarios");
    }

    /** One line per scenario, for {@code --list-scenarios}. */
    public static String listing() {
        StringBuilder sb = new StringBuilder();
        for (Scenario s : values()) {
            sb.append(String.format(Locale.ROOT, "%-22s %-15s %s%n", s.label(), s.family(), s.description()));
        }
        return sb.toString();
    }
}
