package io.losswatch.bench;

import io.losswatch.events.Cause;
import io.losswatch.events.StepEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Curves of real training runs.
 *
 * <ul>
 * <li>A table of measured curves: per-step losses of a ReLU CNN on Fashion-MNIST in PyTorch 1.13 (steps 0-11
 *     exact, then every 20th step to 180). The steps in between are filled in geometrically, with
 *     noise of the size the measured steps show. The exact curves go into the tuning half (the unit
 *     tests use them too); each half also gets three noisy redraws of each.
 * <li>Recorded DL4J runs of the trainer's LeNet on Fashion-MNIST ({@code DivergenceProbe --trace},
 *     seed 42, batch 32, 300 steps or until the trainer gave up on NaN), stored under
 *     {@code resources/io/losswatch/bench/}. They go into the held-out half only: real data
 *     the thresholds never saw.
 * </ul>
 */
public final class RealCurves {

    /** One row of the measured table. */
    public record TableCurve(
            String name,
            String optimizer,
            double learningRate,
            boolean diverging,
            double[] first12,
            double[] every20th,
            double noise) {

        /** Step 0 to 199: the measured steps, the rest filled in geometrically. */
        public double[] exact() {
            double[] out = new double[200];
            for (int t = 0; t < 200; t++) {
                if (t < first12.length) {
                    out[t] = first12[t];
                } else {
                    int k = t / 20;
                    double a = t < 20 ? first12[11] : every20th[k];
                    double b = k + 1 < every20th.length ? every20th[k + 1] : every20th[every20th.length - 1];
                    int from = t < 20 ? 11 : k * 20;
                    double x = (t - from) / (double) ((k + 1) * 20 - from);
                    out[t] = Math.exp(Math.log(a) + x * (Math.log(b) - Math.log(a)));
                }
            }
            return out;
        }
    }

    /** The table's four curves. */
    public static final List<TableCurve> MEASURED_TABLE = List.of(
            new TableCurve(
                    "adam-lr1",
                    "adam",
                    1.0,
                    true,
                    new double[] {2.31, 81396, 1970, 14.5, 12.2, 7.9, 5.8, 4.2, 4.4, 4.1, 3.5, 3.5},
                    new double[] {2.31, 2.51, 2.45, 2.33, 2.33, 2.36, 2.37, 2.36, 2.32, 2.37},
                    0.03),
            new TableCurve(
                    "sgd-lr20",
                    "sgd",
                    20,
                    true,
                    new double[] {2.31, 38.7, 132.9, 44.6, 8.4, 8.3, 7.6, 5.5, 5.8, 5.1, 3.5, 3.5},
                    new double[] {2.31, 3.13, 2.79, 2.55, 3.56, 2.84, 2.70, 3.26, 2.79, 2.74},
                    0.08),
            new TableCurve(
                    "adam-lr0.1",
                    "adam",
                    0.1,
                    true,
                    new double[] {2.31, 123.1, 6.5, 8.4, 2.8, 2.3, 2.3, 2.3, 2.4, 2.4, 2.3, 2.3},
                    new double[] {2.31, 2.31, 2.31, 2.31, 2.31, 2.31, 2.31, 2.31, 2.31, 2.31},
                    0.01),
            new TableCurve(
                    "sgd-lr0.5-healthy",
                    "sgd",
                    0.5,
                    false,
                    new double[] {2.31, 2.29, 2.29, 2.25, 2.13, 2.06, 2.37, 2.27, 2.10, 1.76, 2.28, 2.05},
                    new double[] {2.31, 2.36, 1.04, 0.91, 1.26, 0.59, 0.65, 0.53, 0.50, 0.50},
                    0.12));

    /** A recorded DL4J run: its resource, whether it diverges, and where (judged from the curve). */
    public record Recorded(String resource, boolean diverging, long onset) {}

    static final List<Recorded> DL4J = List.of(
            new Recorded("dl4j-adam-lr0.001.tsv", false, -1),
            new Recorded("dl4j-sgd-lr0.1.tsv", false, -1),
            new Recorded("dl4j-adam-lr0.01.tsv", false, -1), // ten wild steps at the start, then it learns
            new Recorded("dl4j-sgd-lr0.1-mse.tsv", false, -1),
            new Recorded("dl4j-sgd-lr0.3-mse.tsv", false, -1),
            new Recorded("dl4j-sgd-lr0.2.tsv", true, 15), // learns to step 14, then climbs to the clip and dies
            new Recorded("dl4j-adam-lr1.0.tsv", true, 1),
            new Recorded("dl4j-adam-lr0.1.tsv", true, 1),
            new Recorded("dl4j-sgd-lr0.5.tsv", true, 1),
            new Recorded("dl4j-sgd-lr20.tsv", true, 1),
            new Recorded("dl4j-sgd-lr1.0-mse.tsv", true, 1), // NaN at step 5
            // through the trainer and broker: 3 steps at ~21, weights overflowed, then chance level, never NaN
            new Recorded("dl4j-sgd-lr0.3-overflow.tsv", true, 2),
            // the same run with the listener's exact norms: grad_norm 1e18-3e32 instead of Inf, weights frozen
            new Recorded("dl4j-sgd-lr0.3-frozen.tsv", true, 2));

    private RealCurves() {}

    static List<BenchRun> forHalf(Corpus.Half half) {
        List<BenchRun> runs = new ArrayList<>();
        for (TableCurve c : MEASURED_TABLE) {
            if (half == Corpus.Half.TUNING) {
                runs.add(table(c, "issue9-" + c.name(), c.exact(), false));
            }
            for (int v = 0; v < 3; v++) {
                SplittableRandom r = new Draft.Seed("issue9-" + c.name(), v, half.seed()).random();
                runs.add(table(
                        c,
                        String.format(Locale.ROOT, "issue9-%s-redraw%d", c.name(), v),
                        redraw(c, r),
                        r.nextBoolean()));
            }
        }
        if (half == Corpus.Half.HELD_OUT) {
            for (Recorded rec : DL4J) {
                runs.add(recorded(rec));
            }
        }
        return runs;
    }

    private static double[] redraw(TableCurve c, SplittableRandom r) {
        double[] exact = c.exact();
        double[] out = new double[exact.length];
        for (int t = 0; t < exact.length; t++) {
            // the measured steps vary a little from seed to seed; the filled-in ones as much as the run is noisy
            double sigma = t == 0 ? 0.003 : t < 12 ? Math.min(0.05, c.noise()) : c.noise();
            out[t] = exact[t] * Math.exp(sigma * r.nextGaussian());
        }
        return out;
    }

    private static BenchRun table(TableCurve c, String name, double[] losses, boolean numClasses) {
        Map<String, String> labels = new HashMap<>();
        labels.put("optimizer", c.optimizer());
        if (numClasses) {
            labels.put("num_classes", "10");
        }
        List<StepEvent> events = new ArrayList<>();
        for (int t = 0; t < losses.length; t++) {
            events.add(StepEvent.of(name, t, losses[t])
                    .withLearningRate(c.learningRate())
                    .withLabels(labels));
        }
        return new BenchRun(
                name,
                c.diverging() ? "issue9-table" : "issue9-table-healthy",
                c.diverging(),
                c.diverging() ? 1 : -1,
                c.diverging() ? Cause.LEARNING_RATE_TOO_HIGH : null,
                events);
    }

    /** Columns: step loss grad_norm param_norm update_ratio lr; lines starting with # are comments. */
    public static BenchRun recorded(Recorded rec) {
        String name = "dl4j-" + rec.resource().replace("dl4j-", "").replace(".tsv", "");
        InputStream in = RealCurves.class.getResourceAsStream(rec.resource());
        if (in == null) {
            throw new IllegalStateException("missing benchmark resource " + rec.resource());
        }
        List<StepEvent> events = new ArrayList<>();
        String optimizer = rec.resource().contains("adam") ? "adam" : "sgd";
        Map<String, String> labels = Map.of("optimizer", optimizer, "num_classes", "10", "model", "lenet5");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#") || line.startsWith("step")) {
                    continue;
                }
                String[] f = line.split("\\s+");
                events.add(new StepEvent(
                        StepEvent.SCHEMA_VERSION,
                        name,
                        Long.parseLong(f[0]),
                        null,
                        num(f[1]),
                        num(f[2]),
                        null,
                        num(f[5]),
                        num(f[3]),
                        num(f[4]),
                        null,
                        null,
                        labels));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new BenchRun(
                name,
                rec.diverging() ? "dl4j-recorded" : "dl4j-recorded-healthy",
                rec.diverging(),
                rec.onset(),
                rec.diverging() ? Cause.LEARNING_RATE_TOO_HIGH : null,
                events);
    }

    private static double num(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "nan" -> Double.NaN;
            case "inf", "infinity" -> Double.POSITIVE_INFINITY;
            case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s);
        };
    }
}
