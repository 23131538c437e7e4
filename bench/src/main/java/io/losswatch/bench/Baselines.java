package io.losswatch.bench;

import io.losswatch.events.StepEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What people use today, run on the same steps. Each alerts once, at the first step its rule holds;
 * the threshold and PromQL-style rules also alert on a non-finite loss, as Lightning's
 * {@code check_finite} does and as an operator would add {@code loss != loss}.
 */
public final class Baselines {
    private Baselines() {}

    /**
     * The loss-spike guards of large-scale training, each with its documented defaults and no tuning:
     * OLMo-core's skip step, llm-foundry's {@code KillLossSpike}, Lightning Fabric's
     * {@code SpikeDetection} and a W&B-style z-score alert.
     */
    public static List<RunDetector> spikeDetectors() {
        return List.of(SkipStepRule.defaults(), new KillLossSpike(), new SpikeDetection(), new ZScoreTrigger());
    }

    /** Keras {@code TerminateOnNaN}, DL4J {@code InvalidScoreIterationTerminationCondition}. */
    public static RunDetector nanOnly() {
        return new RunDetector() {
            @Override
            public String name() {
                return "NaN only";
            }

            @Override
            public List<Firing> run(BenchRun run) {
                long nan = run.firstNonFiniteStep();
                return nan < 0 ? List.of() : List.of(new Firing(nan, "non-finite", null));
            }
        };
    }

    /**
     * Lightning {@code EarlyStopping(divergence_threshold=T)}, DL4J
     * {@code MaxScoreIterationTerminationCondition(T)}: loss above one absolute value.
     */
    public record Threshold(double threshold) implements RunDetector {
        @Override
        public String name() {
            return String.format(Locale.ROOT, "threshold loss > %.3g", threshold);
        }

        @Override
        public List<Firing> run(BenchRun run) {
            for (StepEvent e : run.events()) {
                if (!Double.isFinite(e.loss()) || e.loss() > threshold) {
                    return List.of(new Firing(e.step(), "threshold", null));
                }
            }
            return List.of();
        }

        /** The lowest threshold with no false alarm on the healthy runs given: just above their highest loss. */
        public static Threshold tune(List<BenchRun> runs) {
            double max = 0;
            for (BenchRun r : runs) {
                if (!r.diverging()) {
                    for (StepEvent e : r.events()) {
                        if (Double.isFinite(e.loss())) {
                            max = Math.max(max, e.loss());
                        }
                    }
                }
            }
            return new Threshold(max);
        }
    }

    /**
     * The Prometheus rule an operator writes by hand:
     * {@code deriv(ln(losswatch_loss)[W]) > R for: F}, one sample per step. {@code deriv} is the
     * least-squares slope over the samples of the last W steps (NaN if any of them is not finite);
     * {@code for: F} means the condition held at F+1 evaluations in a row.
     */
    public record DerivRule(int window, int forSteps, double rate) implements RunDetector {
        static final int[] WINDOWS = {4, 8, 16, 32, 64, 128};
        static final int[] FORS = {0, 1, 2, 4, 8, 16, 32};

        @Override
        public String name() {
            return String.format(Locale.ROOT, "deriv(ln loss[%d]) > %.3g for %d", window, rate, forSteps);
        }

        @Override
        public List<Firing> run(BenchRun run) {
            double[] d = derivs(run, window);
            int held = 0;
            List<StepEvent> ev = run.events();
            for (int i = 0; i < d.length; i++) {
                if (!Double.isFinite(ev.get(i).loss())) {
                    return List.of(new Firing(ev.get(i).step(), "non-finite", null));
                }
                held = d[i] > rate ? held + 1 : 0;
                if (held > forSteps) {
                    return List.of(new Firing(ev.get(i).step(), "deriv", null));
                }
            }
            return List.of();
        }

        /** deriv(ln(loss)[w]) at every step; NaN where it is undefined. */
        static double[] derivs(BenchRun run, int w) {
            List<StepEvent> ev = run.events();
            int n = ev.size();
            double[] out = new double[n];
            int from = 0;
            for (int i = 0; i < n; i++) {
                long now = ev.get(i).step();
                while (ev.get(from).step() <= now - w) {
                    from++;
                }
                int k = i - from + 1;
                if (k < 2) {
                    out[i] = Double.NaN;
                    continue;
                }
                double sx = 0, sy = 0, sxx = 0, sxy = 0;
                boolean finite = true;
                for (int j = from; j <= i; j++) {
                    double loss = ev.get(j).loss();
                    if (!(loss > 0) || !Double.isFinite(loss)) {
                        finite = false;
                        break;
                    }
                    double x = ev.get(j).step() - now;
                    double y = Math.log(loss);
                    sx += x;
                    sy += y;
                    sxx += x * x;
                    sxy += x * y;
                }
                out[i] = finite ? (k * sxy - sx * sy) / (k * sxx - sx * sx) : Double.NaN;
            }
            return out;
        }

        /**
         * For every window and {@code for:}, the lowest rate with no false alarm on the healthy runs;
         * of those, the rule that catches most diverging runs, then the one that catches them soonest.
         */
        public static DerivRule tune(List<BenchRun> runs) {
            List<BenchRun> healthy = runs.stream().filter(r -> !r.diverging()).toList();
            List<BenchRun> diverging = runs.stream().filter(BenchRun::diverging).toList();
            DerivRule best = null;
            double bestRecall = -1;
            double bestDelay = Double.POSITIVE_INFINITY;
            for (int w : WINDOWS) {
                List<double[]> hd = new ArrayList<>();
                for (BenchRun r : healthy) {
                    hd.add(derivs(r, w));
                }
                for (int f : FORS) {
                    double needed = Double.NEGATIVE_INFINITY;
                    for (double[] d : hd) {
                        needed = Math.max(needed, maxOfRunningMin(d, f + 1));
                    }
                    DerivRule rule = new DerivRule(w, f, Math.max(0, needed));
                    int caught = 0;
                    List<Long> delays = new ArrayList<>();
                    for (BenchRun r : diverging) {
                        for (RunDetector.Firing x : rule.run(r)) {
                            if (x.step() >= r.onsetStep()) {
                                caught++;
                                delays.add(x.step() - r.onsetStep());
                            }
                        }
                    }
                    double recall = caught / (double) Math.max(1, diverging.size());
                    double delay = Scorer.quantile(delays, 0.5);
                    if (recall > bestRecall || (recall == bestRecall && delay < bestDelay)) {
                        best = rule;
                        bestRecall = recall;
                        bestDelay = delay;
                    }
                }
            }
            return best;
        }

        /** max over i of min(d[i-k+1..i]), NaN counting as -infinity. */
        static double maxOfRunningMin(double[] d, int k) {
            double best = Double.NEGATIVE_INFINITY;
            for (int i = k - 1; i < d.length; i++) {
                double m = Double.POSITIVE_INFINITY;
                for (int j = i - k + 1; j <= i; j++) {
                    m = Double.isNaN(d[j]) ? Double.NEGATIVE_INFINITY : Math.min(m, d[j]);
                }
                best = Math.max(best, m);
            }
            return best;
        }
    }
}
