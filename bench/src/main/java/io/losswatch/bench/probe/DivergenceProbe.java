package io.losswatch.bench.probe;

import io.losswatch.events.StepEvent;
import io.losswatch.trainer.Architecture;
import io.losswatch.trainer.FashionMnist;
import io.losswatch.trainer.LeNet;
import io.losswatch.trainer.MetricsListener;
import io.losswatch.trainer.TrainingData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures how LeNet on Fashion-MNIST behaves for several optimizer/learning-rate pairs: per-step
 * loss, gradient norm, parameter norm and update ratio. The numbers in docs/divergence.md come from
 * here. Run with {@code OMP_NUM_THREADS=1}:
 *
 * <pre>
 * java -cp ... io.losswatch.bench.probe.DivergenceProbe [--steps 200] [--data DIR] [--seed 42] [--trace] [--verify-gradients] adam:0.001 sgd:0.1 ...
 * </pre>
 */
public final class DivergenceProbe {

    private DivergenceProbe() {}

    public static void main(String[] args) throws Exception {
        int steps = 200;
        int batch = 32;
        long seed = 42;
        boolean trace = false;
        boolean verify = false;
        Path data = FashionMnist.DEFAULT_DIR;
        List<String> configs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--batch-size" -> batch = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--data" -> data = Path.of(args[++i]);
                case "--trace" -> trace = true;
                case "--verify-gradients" -> verify = true;
                default -> configs.add(args[i]);
            }
        }
        TrainingData td = TrainingData.load(data, steps * batch, 0, seed);
        System.out.println("# " + td.description());
        if (verify) {
            verifyGradientFacts(td.train(), seed);
        }
        for (String config : configs) {
            Probe probe = Probe.parse(config, seed);
            run(probe, td.train(), steps, batch, trace);
        }
    }

    /**
     * One configuration, written {@code optimizer:lr[:loss][:linear][:xGROWTH][:sSEED]}, e.g.
     * {@code sgd:0.3}, {@code adam:1.0:ce-logits}, {@code sgd:0.1:linear} (MSE by default),
     * {@code adam:0.001:x1.05} (learning rate times 1.05 every step), {@code sgd:0.2:s7} (seed 7).
     */
    record Probe(Architecture architecture, LeNet.Spec spec) {
        static Probe parse(String text, long defaultSeed) {
            String[] parts = text.split(":");
            Architecture architecture = Architecture.LENET;
            LeNet.Loss loss = null;
            double growth = 1.0;
            long seed = defaultSeed;
            for (int i = 2; i < parts.length; i++) {
                String p = parts[i];
                if (p.startsWith("x")) {
                    growth = Double.parseDouble(p.substring(1));
                } else if (p.startsWith("s") && p.length() > 1 && Character.isDigit(p.charAt(1))) {
                    seed = Long.parseLong(p.substring(1));
                } else if (p.equalsIgnoreCase("linear") || p.equalsIgnoreCase("lenet")) {
                    architecture = Architecture.parse(p);
                } else {
                    loss = LeNet.Loss.parse(p);
                }
            }
            LeNet.Spec spec = new LeNet.Spec(
                    LeNet.Optimizer.parse(parts[0]),
                    Double.parseDouble(parts[1]),
                    seed,
                    0,
                    0,
                    loss == null ? architecture.defaultLoss() : loss,
                    growth);
            return new Probe(architecture, spec);
        }

        String name() {
            return architecture.label() + " " + DivergenceProbe.name(spec);
        }
    }

    static List<StepEvent> run(Probe probe, DataSet train, int steps, int batch, boolean trace) {
        LeNet.Spec spec = probe.spec();
        MultiLayerNetwork net = probe.architecture().build(spec);
        List<StepEvent> events = new ArrayList<>();
        net.addListeners(new MetricsListener("probe", Map.of(), events::add));
        long start = System.nanoTime();
        int n = train.numExamples();
        for (int s = 0; s < steps; s++) {
            int from = (s * batch) % n;
            net.fit(train.getRange(from, Math.min(n, from + batch)));
            if (!Double.isFinite(net.score())
                    && events.stream()
                                    .skip(Math.max(0, events.size() - 5))
                                    .filter(e -> !Double.isFinite(e.loss()))
                                    .count()
                            >= 5) {
                break;
            }
        }
        double ms = (System.nanoTime() - start) / 1e6 / events.size();
        if (trace) {
            System.out.printf("%n%s%nstep loss grad_norm param_norm update_ratio lr%n", probe.name());
            for (StepEvent e : events) {
                System.out.printf(
                        Locale.ROOT,
                        "%d %.4g %.4g %.4g %.4g %.4g%n",
                        e.step(),
                        e.loss(),
                        e.gradNorm(),
                        e.paramNorm(),
                        e.updateRatio(),
                        e.learningRate());
            }
        }
        System.out.println(summary(probe.name(), events, ms));
        return events;
    }

    /** Captures the flat gradient before the updater runs and again after the step. */
    private static final class GradientCapture extends org.deeplearning4j.optimize.api.BaseTrainingListener {
        INDArray raw;
        INDArray paramsBefore;
        INDArray gradientAfter;
        INDArray paramsAfter;

        @Override
        public void onGradientCalculation(org.deeplearning4j.nn.api.Model model) {
            raw = model.gradient().gradient().dup();
            paramsBefore = model.params().dup();
        }

        @Override
        public void iterationDone(org.deeplearning4j.nn.api.Model model, int iteration, int epoch) {
            gradientAfter = model.gradient().gradient().dup();
            paramsAfter = model.params().dup();
        }
    }

    /**
     * Checks on LeNet what MetricsListener relies on: the gradient seen in onGradientCalculation is
     * summed over the minibatch, and the updater divides it by the batch size and then overwrites
     * it in place with the update.
     */
    static void verifyGradientFacts(DataSet train, long seed) {
        double lr = 0.1;
        int b = 8;
        DataSet once = (DataSet) train.getRange(0, b);
        DataSet twice = new DataSet(
                Nd4j.vstack(once.getFeatures(), once.getFeatures()), Nd4j.vstack(once.getLabels(), once.getLabels()));
        GradientCapture a = new GradientCapture();
        MultiLayerNetwork netA = LeNet.build(new LeNet.Spec(LeNet.Optimizer.SGD, lr, seed));
        netA.addListeners(a);
        netA.fit(once);
        GradientCapture c = new GradientCapture();
        MultiLayerNetwork netB = LeNet.build(new LeNet.Spec(LeNet.Optimizer.SGD, lr, seed));
        netB.addListeners(c);
        netB.fit(twice);

        double summed = relativeError(c.raw, a.raw.mul(2));
        INDArray update = a.paramsBefore.sub(a.paramsAfter);
        double dividedByBatch = relativeError(update, a.raw.mul(lr / b));
        double overwritten = relativeError(a.gradientAfter, update);
        System.out.printf(Locale.ROOT, "# gradient facts on LeNet (SGD lr=%s, batch %d):%n", lr, b);
        System.out.printf(
                Locale.ROOT,
                "#  raw gradient of the batch repeated twice vs 2x raw gradient of the batch: relative error %.2g%n",
                summed);
        System.out.printf(Locale.ROOT, "#  SGD update vs lr * raw / batch: relative error %.2g%n", dividedByBatch);
        System.out.printf(
                Locale.ROOT, "#  gradient array after the step vs the update: relative error %.2g%n", overwritten);
        System.out.printf(
                Locale.ROOT,
                "#  norm of raw gradient %.4g, of raw / batch %.4g, of the update / lr %.4g%n",
                a.raw.norm2Number().doubleValue(),
                a.raw.norm2Number().doubleValue() / b,
                update.norm2Number().doubleValue() / lr);
    }

    private static double relativeError(INDArray actual, INDArray expected) {
        return actual.distance2(expected) / expected.norm2Number().doubleValue();
    }

    static String name(LeNet.Spec spec) {
        return spec.optimizer().label() + " lr=" + spec.learningRate() + " "
                + spec.loss().label() + " seed=" + spec.seed()
                + (spec.lrGrowthPerStep() != 1.0 ? " lr x" + spec.lrGrowthPerStep() + "/step" : "");
    }

    static String summary(String name, List<StepEvent> events, double msPerStep) {
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < Math.min(12, events.size()); i++) {
            first.append(String.format(Locale.ROOT, "%.3g ", events.get(i).loss()));
        }
        long firstNaN = events.stream()
                .filter(e -> !Double.isFinite(e.loss()))
                .mapToLong(StepEvent::step)
                .findFirst()
                .orElse(-1);
        double maxLoss = events.stream()
                .mapToDouble(StepEvent::loss)
                .filter(Double::isFinite)
                .max()
                .orElse(Double.NaN);
        double maxGrad = events.stream()
                .map(StepEvent::gradNorm)
                .filter(g -> g != null && Double.isFinite(g))
                .mapToDouble(Double::doubleValue)
                .max()
                .orElse(Double.NaN);
        double maxParam = events.stream()
                .map(StepEvent::paramNorm)
                .filter(g -> g != null && Double.isFinite(g))
                .mapToDouble(Double::doubleValue)
                .max()
                .orElse(Double.NaN);
        StepEvent last = events.get(events.size() - 1);
        double[] lnLoss = events.stream().mapToDouble(e -> Math.log(e.loss())).toArray();
        Fit growth = longestGrowth(lnLoss, MIN_GROWTH_PER_STEP, MIN_R2);
        Fit steepest = steepestWindow(lnLoss, WINDOW);
        return String.format(
                Locale.ROOT,
                "%s | first: %s| nonfinite@%d | max loss %.3g | last loss %.3g | max grad %.3g | max param %.3g"
                        + " | ln-linear growth: %s | steepest %d-step window: %s | %.1f ms/step | steps %d",
                name,
                first,
                firstNaN,
                maxLoss,
                last.loss(),
                maxGrad,
                maxParam,
                growth == null ? "none" : growth,
                WINDOW,
                steepest == null ? "n/a" : steepest,
                msPerStep,
                events.size());
    }

    static final double MIN_GROWTH_PER_STEP = 0.05;
    static final double MIN_R2 = 0.9;
    static final int WINDOW = 32;

    /** Least-squares fit of ln(loss) on step over {@code [from, to)}. */
    record Fit(int from, int to, double slope, double r2) {
        int length() {
            return to - from;
        }

        @Override
        public String toString() {
            return String.format(
                    Locale.ROOT, "steps %d-%d (%d) b=%.3f/step R2=%.2f", from, to - 1, length(), slope, r2);
        }
    }

    static Fit fit(double[] y, int from, int to) {
        int n = to - from;
        double mx = 0;
        double my = 0;
        for (int i = from; i < to; i++) {
            mx += i;
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxx = 0;
        double sxy = 0;
        double syy = 0;
        for (int i = from; i < to; i++) {
            sxx += (i - mx) * (i - mx);
            sxy += (i - mx) * (y[i] - my);
            syy += (y[i] - my) * (y[i] - my);
        }
        double slope = sxy / sxx;
        double r2 = syy == 0 ? 0 : sxy * sxy / (sxx * syy);
        return new Fit(from, to, slope, r2);
    }

    /**
     * The longest stretch of finite losses over which ln(loss) fits a straight line with slope at
     * least {@code minSlope} and R^2 at least {@code minR2}: sustained exponential growth.
     */
    static Fit longestGrowth(double[] lnLoss, double minSlope, double minR2) {
        Fit best = null;
        for (int from = 0; from < lnLoss.length; from++) {
            for (int to = from + 5; to <= lnLoss.length && Double.isFinite(lnLoss[to - 1]); to++) {
                Fit f = fit(lnLoss, from, to);
                if (f.slope() >= minSlope && f.r2() >= minR2 && (best == null || f.length() > best.length())) {
                    best = f;
                }
            }
        }
        return best;
    }

    /** The window of {@code size} finite steps with the largest ln(loss) slope. */
    static Fit steepestWindow(double[] lnLoss, int size) {
        Fit best = null;
        for (int from = 0; from + size <= lnLoss.length; from++) {
            boolean finite = true;
            for (int i = from; i < from + size; i++) {
                finite &= Double.isFinite(lnLoss[i]);
            }
            if (finite) {
                Fit f = fit(lnLoss, from, from + size);
                if (best == null || f.slope() > best.slope()) {
                    best = f;
                }
            }
        }
        return best;
    }
}
