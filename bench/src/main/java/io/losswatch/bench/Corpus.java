package io.losswatch.bench;

import io.losswatch.events.Cause;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * The labelled corpus of the detection benchmark, drawn by code from fixed seeds: the same half
 * always gives the same runs. Two halves with different seeds: thresholds are chosen on
 * {@link Half#TUNING} only, and {@link Half#HELD_OUT} shows whether they carry over.
 *
 * <p>Every family is a shape measured on real runs or that users meet in practice. Diverging runs carry their onset step and, where the
 * events hold the evidence for one, their cause. Healthy runs are made to trap a detector: noise,
 * schedules that raise the loss on purpose, spikes, plateaus. The assumptions behind each shape are
 * written next to it; they are the benchmark's model of "healthy" and "diverging", so read them
 * before trusting a number.
 *
 * <p>One file, so that the benchmark's whole model of healthy and diverging runs reads in one place.
 */
public final class Corpus {

    /**
     * The two halves of the corpus; only the seed differs (the recorded DL4J runs are in the held-out
     * half only). A run's generator is seeded from a hash of the half seed, so that neighbouring half
     * seeds are independent draws. Each held-out seed is scored once and retired; detector work uses
     * development seeds of other ranges (0x20550001 on). The history of the seeds is in
     * docs/decisions (the corpus seeding record).
     */
    public enum Half {
        TUNING("tuning", 0x1055_0001L),
        HELD_OUT("held-out", 0x1055_0012L);

        private final String label;
        private final long seed;

        Half(String label, long seed) {
            this.label = label;
            this.seed = seed;
        }

        public String label() {
            return label;
        }

        public long seed() {
            return seed;
        }
    }

    /** A family: its name, how many runs per half, and how to draw run {@code i}. */
    record Family(String name, int count, BiFunction<Draft.Seed, Integer, BenchRun> make) {}

    private Corpus() {}

    public static List<BenchRun> generate(Half half) {
        List<BenchRun> runs = synthetic(half.seed());
        runs.addAll(RealCurves.forHalf(half));
        return runs;
    }

    /** The synthetic runs drawn from {@code seed}. */
    static List<BenchRun> synthetic(long seed) {
        List<BenchRun> runs = new ArrayList<>();
        for (Family f : families()) {
            for (int i = 0; i < f.count(); i++) {
                runs.add(f.make().apply(new Draft.Seed(f.name(), i, seed), i));
            }
        }
        return runs;
    }

    static List<Family> families() {
        return List.of(
                // ---- diverging
                new Family("exp-start", 36, Corpus::expFromStart),
                new Family("exp-after-healthy", 48, Corpus::expAfterHealthy),
                new Family("blowup-early", 24, Corpus::blowupEarly),
                new Family("blowup-later", 20, Corpus::blowupLater),
                new Family("collapse-no-blowup", 14, Corpus::collapseWithoutBlowup),
                new Family("grad-explosion-first", 20, Corpus::gradientFirst),
                new Family("val-divergence", 20, Corpus::validationDivergence),
                new Family("bad-batch-nan", 8, Corpus::badBatchNan),
                // ---- healthy
                new Family("noisy-decay", 24, Corpus::noisyDecay),
                new Family("warmup", 16, Corpus::warmup),
                new Family("step-decay", 14, Corpus::stepDecay),
                new Family("cosine-restarts", 20, Corpus::cosineRestarts),
                new Family("cyclic-lr", 14, Corpus::cyclicLr),
                new Family("spikes", 26, Corpus::spikes),
                new Family("plateau", 12, Corpus::plateau),
                new Family("near-zero", 14, Corpus::nearZero),
                new Family("slow-heavy-noise", 14, Corpus::slowHeavyNoise),
                new Family("healthy-val", 12, Corpus::healthyValidation));
    }

    private static String name(Draft.Seed s) {
        return String.format(Locale.ROOT, "%s-%02d", s.family(), s.index());
    }

    // ================================================================== diverging

    /**
     * How a diverging run ends: in NaN (half of them) when the loss reaches a level between 1e3 and
     * float overflow, else stopped by its owner after a rise of 10x to 10^4x, or saturated (a clipped
     * loss, as DL4J's MCXENT) at 5x-30x for a few hundred steps. Never more than 3000 steps of growth.
     */
    private static void climb(
            Draft d, int onset, double rate, double sigma, double rho, double oscillation, double gradRateFactor) {
        double base = median(d.lnLoss, Math.max(0, onset - 9), onset + 1);
        double gradBase = d.lnGrad == null ? 0 : median(d.lnGrad, Math.max(0, onset - 9), onset + 1);
        int end = Math.min(d.lnLoss.length, onset + 3000);
        int mode = d.r.nextInt(4); // 0,1: NaN; 2: stopped; 3: saturated
        double nanAt = d.chance(0.3) ? Math.log(Float.MAX_VALUE) : Math.log(d.logU(1e3, 1e30));
        nanAt = Math.max(nanAt, base + Math.log(20));
        double stopRise = Math.log(d.logU(10, 1e4));
        double capRise = Math.log(d.logU(5, 30));
        double[] e = d.noise(end - onset, sigma, rho);
        double[] eg = d.noise(end - onset, 0.15, 0.3);
        double ramp = d.u(5, 30);
        int saturatedUntil = -1;
        for (int t = onset; t < end; t++) {
            double clean = base + rate * (t - onset);
            double osc = oscillation * Math.min(1, (t - onset) / ramp) * ((t & 1) == 0 ? 1 : -1);
            if (mode == 3) {
                if (clean - base >= capRise && saturatedUntil < 0) {
                    saturatedUntil = t + d.between(100, 400);
                }
                clean = Math.min(clean, base + capRise);
            }
            d.lnLoss[t] = clean + e[t - onset] + osc;
            if (d.lnGrad != null && gradRateFactor > 0) {
                d.lnGrad[t] = gradBase + gradRateFactor * (clean - base) + eg[t - onset] + osc;
            }
            if ((mode <= 1 && clean >= nanAt) || (mode == 2 && clean - base >= stopRise)) {
                if (mode <= 1) {
                    d.nonFiniteFrom(t, d.between(1, 5));
                } else {
                    d.len = t + 1;
                }
                return;
            }
            if (saturatedUntil >= 0 && t >= saturatedUntil) {
                d.len = t + 1;
                return;
            }
        }
        d.len = end;
    }

    private static double doublingRate(Draft d) {
        return Math.log(2) / d.logU(2, 150);
    }

    private static Draft sized(Draft.Seed s, int len) {
        return new Draft(name(s), s.family(), s.random(), len);
    }

    /**
     * Exponential growth from the first step: a learning rate far too high. The events carry the
     * learning rate (70%), the optimizer (80%), a high update ratio (50%), gradient norms (60%); the
     * growth from step 0 is itself the evidence, so the cause is always LEARNING_RATE_TOO_HIGH.
     */
    private static BenchRun expFromStart(Draft.Seed s, int i) {
        Draft d = sized(s, 3100);
        double l0 = d.logU(0.3, 5);
        Arrays.fill(d.lnLoss, Math.log(l0));
        String opt = d.pick(List.of("adam", "sgd"));
        if (d.chance(0.7)) {
            d.highLr(opt);
        } else if (d.chance(0.8)) {
            d.optimizerLabel(opt);
        }
        if (d.chance(0.6)) {
            d.healthyGrad();
        }
        climb(d, 0, doublingRate(d), d.pickNoise(), d.chance(0.3) ? d.u(0.1, 0.5) : 0, 0, d.u(0.5, 1.0));
        if (d.chance(0.5)) {
            highUpdateRatio(d, 0);
        }
        return d.build(true, 0, Cause.LEARNING_RATE_TOO_HIGH);
    }

    private static void highUpdateRatio(Draft d, int from) {
        if (d.updateRatio == null) {
            d.normalUpdateRatio();
        }
        double level = d.logU(0.03, 1.0);
        double[] e = d.noise(d.updateRatio.length, 0.25, 0.5);
        for (int t = from; t < d.updateRatio.length; t++) {
            d.updateRatio[t] = level * Math.exp(e[t]);
        }
    }

    /**
     * Healthy for 60-1500 steps, then exponential growth (doubling every 2-150 steps). A quarter each:
     * <ul>
     * <li>the learning rate steps up 3x-30x to a level the run never had (a schedule bug): LEARNING_RATE_TOO_HIGH;
     * <li>only the loss is sent: the cause cannot be known, a diagnosis should say UNKNOWN;
     * <li>the loss grows while gradient norm, learning rate and update ratio stay normal (the data went
     *     bad, e.g. a drifting source or corrupted labels): DATA_ISSUE;
     * <li>plain SGD at a normal learning rate starts to oscillate step to step with a growing envelope
     *     (the edge of stability as the loss sharpens): UNSTABLE_OPTIMIZER.
     * </ul>
     */
    private static BenchRun expAfterHealthy(Draft.Seed s, int i) {
        int onset = 60 + s.random().nextInt(1441);
        Draft d = sized(s, onset + 3100);
        d.firstStep = d.chance(0.2) ? d.between(1, 50) * 100L : 0;
        d.healthyDecay(0, d.lnLoss.length, d.logU(0.5, 5));
        double rate = doublingRate(d);
        double sigma = d.pickNoise();
        double rho = d.chance(0.3) ? d.u(0.1, 0.5) : 0;
        Cause cause;
        switch (i % 4) {
            case 0 -> {
                String opt = d.pick(List.of("adam", "sgd"));
                d.normalLr(opt);
                double jump = d.logU(3, 30);
                for (int t = onset; t < d.lr.length; t++) {
                    d.lr[t] *= jump;
                }
                if (d.chance(0.5)) {
                    d.healthyGrad();
                }
                if (d.chance(0.7)) {
                    d.normalUpdateRatio();
                    highUpdateRatio(d, onset);
                }
                climb(d, onset, rate, sigma, rho, 0, d.u(0.5, 1.0));
                cause = Cause.LEARNING_RATE_TOO_HIGH;
            }
            case 1 -> {
                climb(d, onset, rate, sigma, rho, 0, 0);
                cause = Cause.UNKNOWN;
            }
            case 2 -> {
                d.normalLr(d.pick(List.of("adam", "sgd", "momentum")));
                d.healthyGrad();
                d.normalUpdateRatio();
                climb(d, onset, rate, sigma, rho, 0, 0);
                cause = Cause.DATA_ISSUE;
            }
            default -> {
                d.normalLr("sgd");
                d.healthyGrad();
                if (d.chance(0.5)) {
                    d.normalUpdateRatio();
                }
                rate = Math.log(2) / d.logU(3, 60);
                climb(d, onset, rate, Math.min(sigma, 0.2), 0, d.u(0.15, 0.6), d.u(0.5, 1.0));
                cause = Cause.UNSTABLE_OPTIMIZER;
            }
        }
        return d.build(true, onset, cause);
    }

    /**
     * The shape measured on real CNNs at far too high a learning rate: a classifier at chance level ln(C) jumps 15x-10^5x within its first 1-3 steps
     * (over 1-3 steps), then falls back and stays pinned at or a little above chance, its units dead.
     * A third fall back to chance within 1-2 steps, as PyTorch's Adam lr=0.1 does. 15% jump straight
     * to a non-finite loss. Learning rate (80%), update ratio (50%, high on the first steps), gradient
     * norms (60%, falling 100x-10^5x below their start once the units are dead), num_classes (50%).
     */
    private static BenchRun blowupEarly(Draft.Seed s, int i) {
        Draft d = sized(s, s.random().nextInt(150, 601));
        int classes = d.pick(List.of(2, 10, 10, 100, 1000));
        double chanceLn = Math.log(Math.log(classes));
        int jumpAt = d.between(1, 3);
        int rampSteps = d.between(1, 3);
        double peak = Math.log(d.logU(15, 1e5));
        boolean quick = i % 3 == 2;
        double dead = chanceLn + (quick ? Math.log(d.u(0.98, 1.06)) : Math.log(d.u(1.0, 1.4)));
        double tau = quick ? d.u(0.5, 1.2) : d.u(2, 10);
        double[] e = d.noise(d.len, d.u(0.005, quick ? 0.04 : 0.1), d.chance(0.5) ? 0.3 : 0);
        for (int t = 0; t < d.len; t++) {
            if (t < jumpAt) {
                d.lnLoss[t] = chanceLn + 0.1 * e[t];
            } else if (t < jumpAt + rampSteps) {
                d.lnLoss[t] = chanceLn + peak * (t - jumpAt + 1) / rampSteps;
            } else {
                int k = t - (jumpAt + rampSteps - 1);
                d.lnLoss[t] = dead + (chanceLn + peak - dead) * Math.exp(-k / tau) + e[t];
            }
        }
        String opt = d.pick(List.of("adam", "sgd"));
        if (d.chance(0.8)) {
            d.highLr(opt);
        } else {
            d.optimizerLabel(opt);
        }
        if (d.chance(0.5)) {
            d.labels.put("num_classes", Integer.toString(classes));
        }
        if (d.chance(0.6)) {
            d.healthyGrad();
            double fall = Math.log(d.logU(1e-5, 1e-2));
            double jump = Math.log(d.logU(10, 1e4));
            int dieOver = d.between(5, 50);
            double g0 = d.lnGrad[0];
            for (int t = jumpAt; t < d.len; t++) {
                int k = t - jumpAt;
                double clean =
                        k < rampSteps + 2 ? g0 + jump : g0 + fall * Math.min(1, (k - rampSteps - 2) / (double) dieOver);
                d.lnGrad[t] = clean + (d.lnGrad[t] - g0) * 0.5;
            }
        }
        if (d.chance(0.5)) {
            highUpdateRatio(d, 0);
            double[] e2 = d.noise(d.len, 0.3, 0.5);
            for (int t = jumpAt + rampSteps + 5; t < d.len; t++) {
                d.updateRatio[t] = 1e-4 * Math.exp(e2[t]); // huge weights, tiny relative updates
            }
        }
        if (d.chance(0.15)) {
            d.nonFiniteFrom(jumpAt, d.between(1, 5));
        }
        return d.build(true, jumpAt, Cause.LEARNING_RATE_TOO_HIGH);
    }

    /**
     * Healthy for 100-1500 steps, then the loss jumps 10x-10^4x within 1-2 steps and falls back only
     * part of the way (to 2.5x-10x its level before the jump), where it stays or relearns slowly; 30%
     * end in NaN soon after the jump. Gradient norms (60%) jump with it. When the events carry the
     * update ratio (60%), it is far above 0.1 at the jump: LEARNING_RATE_TOO_HIGH; without it the
     * cause is not scored.
     */
    private static BenchRun blowupLater(Draft.Seed s, int i) {
        int at = 100 + s.random().nextInt(1401);
        Draft d = sized(s, at + s.random().nextInt(200, 801));
        d.healthyDecay(0, d.len, d.logU(0.5, 5));
        double pre = median(d.lnLoss, at - 16, at);
        double peak = Math.log(d.logU(10, 1e4));
        double post = pre + Math.log(d.logU(2.5, 10));
        double tau = d.u(2, 15);
        double relearn = d.chance(0.5) ? d.u(0, 0.002) : 0;
        int ramp = d.between(1, 2);
        double[] e = d.noise(d.len, d.u(0.02, 0.25), 0);
        for (int t = at; t < d.len; t++) {
            if (t < at + ramp) {
                d.lnLoss[t] = pre + peak * (t - at + 1) / ramp;
            } else {
                int k = t - (at + ramp - 1);
                double level = Math.max(pre, post - relearn * k);
                d.lnLoss[t] = level + (pre + peak - level) * Math.exp(-k / tau) + e[t];
            }
        }
        d.normalLr(d.pick(List.of("adam", "sgd", "momentum")));
        if (d.chance(0.3)) {
            d.lr = null;
        }
        if (d.chance(0.6)) {
            d.healthyGrad();
            double gj = Math.log(d.logU(10, 1000));
            double gpost = Math.log(d.logU(1, 10));
            for (int t = at; t < d.len; t++) {
                int k = t - at;
                d.lnGrad[t] += gpost + (gj - gpost) * Math.exp(-k / tau);
            }
        }
        Cause cause = null;
        if (d.chance(0.6)) {
            d.normalUpdateRatio();
            for (int t = at; t < Math.min(d.len, at + 6); t++) {
                d.updateRatio[t] = d.u(0.15, 3);
            }
            cause = Cause.LEARNING_RATE_TOO_HIGH;
        }
        if (d.chance(0.3)) {
            d.nonFiniteFrom(at + d.between(0, 20), d.between(1, 5));
        }
        return d.build(true, at, cause);
    }

    /**
     * The run stops learning without a blow-up: ReLUs die, the gradient norm falls 100x-10^5x below
     * its early level over 20-200 steps and the loss drifts back up to chance level ln(C) and stays.
     * A third never learn at all (onset 0). Gradient norms always (without them a plateau and a
     * collapse look alike); num_classes 50%; the learning rate (70%) is high for the optimizer:
     * LEARNING_RATE_TOO_HIGH, else not scored.
     */
    private static BenchRun collapseWithoutBlowup(Draft.Seed s, int i) {
        boolean never = i % 3 == 0;
        int onset = never ? 0 : 100 + s.random().nextInt(701);
        Draft d = sized(s, onset + s.random().nextInt(200, 601));
        int classes = d.pick(List.of(10, 10, 100));
        double chanceLn = Math.log(Math.log(classes));
        double learned = chanceLn + Math.log(d.u(0.4, 0.85));
        double[] e = d.noise(d.len, d.u(0.005, 0.05), d.chance(0.5) ? 0.3 : 0);
        int back = d.between(10, 80);
        double deadLevel = chanceLn + Math.log(d.u(1.0, 1.1));
        for (int t = 0; t < d.len; t++) {
            double clean;
            if (t < onset) {
                clean = chanceLn + (learned - chanceLn) * (1 - Math.exp(-t / (onset / 3.0)));
            } else {
                double from = never ? chanceLn : chanceLn + (learned - chanceLn) * (1 - Math.exp(-3.0));
                clean = from + (deadLevel - from) * Math.min(1, (t - onset) / (double) back);
            }
            d.lnLoss[t] = clean + e[t];
        }
        d.healthyGrad();
        double fall = Math.log(d.logU(1e-5, 1e-2));
        int over = d.between(20, 200);
        for (int t = onset; t < d.len; t++) {
            d.lnGrad[t] += fall * Math.min(1, (t - onset) / (double) over);
        }
        if (d.chance(0.5)) {
            d.labels.put("num_classes", Integer.toString(classes));
        }
        String opt = d.pick(List.of("adam", "sgd"));
        Cause cause = null;
        if (d.chance(0.7)) {
            d.highLr(opt);
            cause = Cause.LEARNING_RATE_TOO_HIGH;
        } else {
            d.optimizerLabel(opt);
        }
        return d.build(true, onset, cause);
    }

    /**
     * The gradient norm starts to grow exponentially (doubling every 3-40 steps) while the loss still
     * looks healthy; 10-100 steps later the loss follows (doubling every 2-20 steps), 60% into NaN.
     * Learning rate always, update ratio 50% (growing with the gradient). Cause not scored: exploding
     * gradients have more than one cause.
     */
    private static BenchRun gradientFirst(Draft.Seed s, int i) {
        int onset = 50 + s.random().nextInt(1151);
        int lag = 10 + s.random().nextInt(91);
        Draft d = sized(s, onset + lag + 3100);
        d.healthyDecay(0, d.lnLoss.length, d.logU(0.5, 5));
        d.healthyGrad();
        d.normalLr(d.pick(List.of("adam", "sgd", "momentum")));
        double gradRate = Math.log(2) / d.logU(3, 40);
        double g0 = median(d.lnGrad, onset - 9, onset + 1);
        for (int t = onset; t < d.lnGrad.length; t++) {
            d.lnGrad[t] = Math.min(Math.log(1e35), g0 + gradRate * (t - onset) + (d.lnGrad[t] - g0) * 0.5);
        }
        boolean ur = d.chance(0.5);
        if (ur) {
            d.normalUpdateRatio();
            for (int t = onset; t < d.updateRatio.length; t++) {
                d.updateRatio[t] = Math.min(10, d.updateRatio[t] * Math.exp(0.7 * gradRate * (t - onset)));
            }
        }
        double rate = Math.log(2) / d.logU(2, 20);
        climb(d, onset + lag, rate, d.u(0.02, 0.2), 0, 0, 0);
        if (d.len > onset + lag + 1 && d.chance(0.6) && Double.isFinite(d.lnLoss[d.len - 1])) {
            d.nonFiniteFrom(d.len - 1, d.between(1, 5)); // stopped runs of this family mostly end in NaN
        }
        return d.build(true, onset, null);
    }

    /**
     * Training loss keeps falling; validation loss (every 10-100 steps) falls to a minimum at 20%-60%
     * of the run and then climbs 20%-200% by the end, linearly or curving up: overfitting without
     * regularization, INSUFFICIENT_REGULARIZATION. Onset is the validation minimum.
     */
    private static BenchRun validationDivergence(Draft.Seed s, int i) {
        Draft d = sized(s, s.random().nextInt(1000, 4001));
        double l0 = d.logU(0.5, 3);
        d.decay(0, d.len, l0, d.u(0.005, 0.1), d.logU(150, 1500), d.u(0.02, 0.2), d.chance(0.4) ? 0.3 : 0);
        int every = d.pick(List.of(10, 20, 25, 50, 100));
        int min = (int) (d.len * d.u(0.2, 0.6)) / every * every;
        double vmin = Math.log(l0 * d.u(0.1, 0.5));
        double v0 = Math.log(l0 * d.u(1.0, 1.2));
        double rise = Math.log(d.u(1.2, 3.0));
        double p = d.pick(List.of(1.0, 1.5, 2.0));
        double[] e = d.noise(d.len, d.u(0.005, 0.06), 0);
        d.valLoss = new double[d.len];
        Arrays.fill(d.valLoss, Double.NaN);
        for (int t = every; t < d.len; t += every) {
            double clean = t <= min
                    ? vmin + (v0 - vmin) * Math.pow((min - t) / (double) min, 2)
                    : vmin + rise * Math.pow((t - min) / (double) (d.len - min), p);
            d.valLoss[t] = Math.exp(clean + e[t]);
        }
        if (d.chance(0.5)) {
            d.normalLr(d.pick(List.of("adam", "sgd", "momentum")));
        }
        if (d.chance(0.5)) {
            d.healthyGrad();
        }
        return d.build(true, min, Cause.INSUFFICIENT_REGULARIZATION);
    }

    /**
     * A stable run meets one or two bad batches (NaN or infinite inputs, log(0) in the loss): the loss
     * is non-finite for 1-2 steps, the framework skips the update (as mixed-precision loss scaling
     * does) and training goes on. Nothing grew before: DATA_ISSUE.
     */
    private static BenchRun badBatchNan(Draft.Seed s, int i) {
        Draft d = sized(s, s.random().nextInt(300, 2001));
        d.healthyDecay(0, d.len, d.logU(0.5, 5));
        if (d.chance(0.5)) {
            d.normalLr(d.pick(List.of("adam", "sgd")));
        }
        if (d.chance(0.5)) {
            d.healthyGrad();
        }
        int at = d.between(50, d.len - 100);
        int count = d.between(1, 2);
        for (int t = at; t < at + count; t++) {
            d.lnLoss[t] = d.chance(0.5) ? Double.NaN : Double.POSITIVE_INFINITY;
            if (d.lnGrad != null) {
                d.lnGrad[t] = Double.NaN;
            }
        }
        return d.build(true, at, Cause.DATA_ISSUE);
    }

    // ================================================================== healthy

    /** Decay with noise from small to large, sometimes correlated from step to step; 20% attach mid-run. */
    private static BenchRun noisyDecay(Draft.Seed s, int i) {
        Draft d = sized(s, s.random().nextInt(300, 3001));
        d.firstStep = d.chance(0.2) ? d.between(1, 50) * 100L : 0;
        d.healthyDecay(0, d.len, d.logU(0.3, 5));
        optionalHealthyFields(d);
        return d.build(false, -1, null);
    }

    private static void optionalHealthyFields(Draft d) {
        if (d.chance(0.7)) {
            d.normalLr(d.pick(List.of("adam", "sgd", "momentum")));
        }
        if (d.chance(0.5)) {
            d.healthyGrad();
        }
        if (d.chance(0.4)) {
            d.normalUpdateRatio();
        }
    }

    /**
     * Linear warm-up of the learning rate over 50-1000 steps. The loss barely moves while the rate
     * is tiny, often bumps up 5%-60% over 10-100 steps mid-warm-up, then decays. The learning rate
     * is sent 80% of the time (rising every step: a healthy learning-rate rise).
     */
    private static BenchRun warmup(Draft.Seed s, int i) {
        Draft d = sized(s, s.random().nextInt(600, 3001));
        int w = d.between(50, Math.min(1000, d.len / 2));
        String opt = d.pick(List.of("adam", "sgd", "momentum"));
        d.normalLr(opt);
        double peak = d.lr[0];
        double progress = 0;
        double l0 = d.logU(0.5, 5);
        double floor = d.u(0.02, 0.3);
        double tau = d.u(50, 800);
        double sigma = d.pickNoise();
        double[] e = d.noise(d.len, sigma, d.chance(0.4) ? 0.3 : 0);
        boolean bump = d.chance(0.6);
        int bumpAt = d.between(w / 4, Math.max(w / 4 + 1, 3 * w / 4));
        int bumpLen = d.between(10, 100);
        double bumpSize = Math.log(d.u(1.05, 1.6));
        for (int t = 0; t < d.len; t++) {
            d.lr[t] = t < w ? peak * (t + 1) / w : peak;
            progress += d.lr[t] / peak;
            double clean = Math.log(l0 * (floor + (1 - floor) * Math.exp(-progress / tau)));
            if (bump && t >= bumpAt) {
                int k = t - bumpAt;
                clean += k < bumpLen ? bumpSize * k / bumpLen : bumpSize * Math.exp(-(k - bumpLen) / (2.0 * bumpLen));
            }
            d.lnLoss[t] = clean + e[t];
        }
        if (d.chance(0.5)) {
            d.healthyGrad();
        }
        if (d.chance(0.5)) {
            d.normalUpdateRatio();
        }
        if (d.chance(0.2)) {
            d.lr = null;
        }
        return d.build(false, -1, null);
    }

    /**
     * Step decay: the learning rate drops 10x at 2-3 milestones; the loss plateaus, then drops at each
     * milestone, sometimes creeping up 5%-15% over the plateau before it (mild overfitting).
     */
    private static BenchRun stepDecay(Draft.Seed s, int i) {
        Draft d = sized(s, s.random().nextInt(1000, 4001));
        d.normalLr(d.pick(List.of("sgd", "momentum", "adam")));
        int milestones = d.between(2, 3);
        double l0 = d.logU(0.5, 5);
        double sigma = d.pickNoise();
        double[] e = d.noise(d.len, sigma, d.chance(0.4) ? 0.3 : 0);
        double level = Math.log(l0);
        int seg = d.len / (milestones + 1);
        double lr0 = d.lr[0];
        for (int m = 0; m <= milestones; m++) {
            int from = m * seg;
            int to = m == milestones ? d.len : (m + 1) * seg;
            double target = level + Math.log(d.u(0.3, 0.7));
            double tau = d.u(20, 200);
            double creep = d.chance(0.4) ? Math.log(d.u(1.05, 1.15)) : 0;
            for (int t = from; t < to; t++) {
                d.lr[t] = lr0 * Math.pow(0.1, m);
                double k = t - from;
                d.lnLoss[t] = target + (level - target) * Math.exp(-k / tau) + creep * k / (to - from) + e[t];
            }
            level = target + creep;
        }
        if (d.chance(0.5)) {
            d.healthyGrad();
        }
        if (d.chance(0.2)) {
            d.lr = null;
        }
        return d.build(false, -1, null);
    }

    /**
     * Cosine annealing with warm restarts (SGDR): cycles of 50-500 steps, doubling or not. At each
     * restart the learning rate jumps back to its maximum and the loss climbs back 30%-100% of the way
     * (in ln) to where the previous cycle started, times up to 1.3, over a ramp of 5%-30% of the
     * cycle, never faster than doubling every 9 steps, then anneals below where it was. Learning rate
     * sent 80% of the time.
     */
    private static BenchRun cosineRestarts(Draft.Seed s, int i) {
        Draft d = sized(s, s.random().nextInt(1000, 4001));
        String opt = d.pick(List.of("sgd", "momentum", "adam"));
        d.normalLr(opt);
        double lrMax = d.lr[0];
        double lrMin = lrMax * d.u(0, 0.05);
        int t0 = d.between(50, 500);
        int mult = d.pick(List.of(1, 2));
        double l0 = d.logU(0.5, 5);
        double floor = d.u(0.01, 0.2);
        double tau = d.u(100, 1500);
        double sigma = d.pickNoise();
        double[] e = d.noise(d.len, sigma, d.chance(0.4) ? 0.3 : 0);
        boolean saturating = d.chance(0.5);
        int cycleStart = 0;
        int cycle = t0;
        double bump = 0;
        int ramp = 1;
        double previousStart = Math.log(l0);
        for (int t = 0; t < d.len; t++) {
            double trend = Math.log(l0 * (floor + (1 - floor) * Math.exp(-t / tau)));
            if (t - cycleStart >= cycle) {
                cycleStart = t;
                cycle *= mult;
                // back up towards where the previous cycle started, rarely a little beyond
                bump = d.u(0.3, 1.0) * (previousStart - trend) + Math.log(d.u(1.0, 1.3));
                previousStart = trend;
                ramp = (int) Math.max(5, d.u(0.05, 0.3) * cycle);
                ramp = Math.max(ramp, (int) Math.ceil(bump / 0.08));
                if (ramp > 0.3 * cycle) {
                    ramp = (int) Math.max(5, 0.3 * cycle);
                    bump = Math.min(bump, 0.08 * ramp);
                }
            }
            int k = t - cycleStart;
            d.lr[t] = lrMin + 0.5 * (lrMax - lrMin) * (1 + Math.cos(Math.PI * k / cycle));
            double shape;
            if (cycleStart == 0) {
                shape = 0;
            } else if (k < ramp) {
                double x = (double) k / ramp;
                shape = saturating ? (1 - Math.exp(-3 * x)) / (1 - Math.exp(-3)) : x;
            } else {
                shape = Math.pow(1 - (double) (k - ramp) / (cycle - ramp), 1.5);
            }
            d.lnLoss[t] = trend + bump * shape + e[t];
        }
        if (d.chance(0.5)) {
            d.healthyGrad();
        }
        if (d.chance(0.2)) {
            d.lr = null;
        }
        return d.build(false, -1, null);
    }

    /**
     * Triangular cyclic learning rate, period 200-4000 steps: the loss swings 5%-50% with it around a
     * slow decay, climbing steadily through each rising half.
     */
    private static BenchRun cyclicLr(Draft.Seed s, int i) {
        Draft d = sized(s, s.random().nextInt(1000, 5001));
        d.normalLr(d.pick(List.of("sgd", "momentum", "adam")));
        double base = d.lr[0];
        int period = d.between(200, 4000);
        double amp = Math.log(d.u(1.05, 1.5));
        double l0 = d.logU(0.5, 5);
        double sigma = d.pickNoise();
        double[] e = d.noise(d.len, sigma, d.chance(0.4) ? 0.3 : 0);
        double tau = d.u(200, 3000);
        double floor = d.u(0.05, 0.4);
        for (int t = 0; t < d.len; t++) {
            double phase = (t % period) / (double) period;
            double tri = phase < 0.5 ? 2 * phase : 2 - 2 * phase;
            d.lr[t] = base * (0.1 + 0.9 * tri);
            d.lnLoss[t] = Math.log(l0 * (floor + (1 - floor) * Math.exp(-t / tau))) + amp * tri + e[t];
        }
        if (d.chance(0.5)) {
            d.healthyGrad();
        }
        if (d.chance(0.2)) {
            d.lr = null;
        }
        return d.build(false, -1, null);
    }

    /**
     * Single, double and repeated spikes on a healthy decay: a bad batch lifts the loss 2x-100x for
     * one step; the excess then shrinks at least ~3x per step (the update did little harm) and the run
     * goes on where it was. Gradient norms (50%) spike with it.
     */
    private static BenchRun spikes(Draft.Seed s, int i) {
        Draft d = sized(s, s.random().nextInt(400, 3001));
        d.healthyDecay(0, d.len, d.logU(0.3, 5));
        optionalHealthyFields(d);
        List<Integer> at = new ArrayList<>();
        switch (i % 3) {
            case 0 -> at.add(d.between(20, d.len - 20));
            case 1 -> {
                int a = d.between(20, d.len - 60);
                at.add(a);
                at.add(a + d.between(2, 20));
            }
            default -> {
                int every = d.between(30, 300);
                for (int t = d.between(10, every); t < d.len - 10; t += every + d.between(-every / 3, every / 3)) {
                    at.add(t);
                }
            }
        }
        double[] extra = new double[d.len];
        double[] extraGrad = new double[d.len];
        for (int a : at) {
            double height = d.logU(2, 100);
            double q = d.u(0, 0.35);
            double g = d.logU(1.5, 30);
            for (int k = 0; k < 30 && a + k < d.len; k++) {
                double excess = (height - 1) * Math.pow(q, k);
                extra[a + k] = Math.max(extra[a + k], Math.log(1 + excess));
                extraGrad[a + k] = Math.max(extraGrad[a + k], Math.log(1 + (g - 1) * Math.pow(q, k)));
            }
        }
        for (int t = 0; t < d.len; t++) {
            d.lnLoss[t] += extra[t];
            if (d.lnGrad != null) {
                d.lnGrad[t] += extraGrad[t];
            }
        }
        return d.build(false, -1, null);
    }

    /**
     * A long flat plateau (100-800 steps, little noise) before the loss starts to fall: at chance level
     * at the start of training half the time (num_classes sent then 50%), elsewhere later. Gradient
     * norms (70%) sag 2x-20x on the plateau and recover when it ends.
     */
    private static BenchRun plateau(Draft.Seed s, int i) {
        int p = 100 + s.random().nextInt(701);
        Draft d = sized(s, p + s.random().nextInt(300, 2001));
        boolean atStart = i % 2 == 0;
        int classes = d.pick(List.of(10, 100));
        double l0 = atStart ? Math.log(classes) : d.logU(0.5, 5);
        int from = atStart ? 0 : d.between(50, 300);
        double[] e = d.noise(d.len, d.u(0.003, 0.05), d.chance(0.5) ? 0.3 : 0);
        double tau = d.u(100, 1000);
        double floor = d.u(0.05, 0.4);
        for (int t = 0; t < d.len; t++) {
            double clean;
            if (t < from) {
                clean = Math.log(l0) - 0.3 * t / from;
            } else if (t < from + p) {
                clean = Math.log(l0) - (atStart ? 0 : 0.3);
            } else {
                double top = Math.log(l0) - (atStart ? 0 : 0.3);
                clean = Math.log(Math.exp(top) * (floor + (1 - floor) * Math.exp(-(t - from - p) / tau)));
            }
            d.lnLoss[t] = clean + e[t];
        }
        if (atStart && d.chance(0.5)) {
            d.labels.put("num_classes", Integer.toString(classes));
        }
        if (d.chance(0.7)) {
            d.healthyGrad();
            double sag = Math.log(d.logU(1.0 / 20, 1.0 / 2));
            for (int t = from; t < Math.min(d.len, from + p + 50); t++) {
                double x = t < from + p ? Math.min(1, (t - from) / 50.0) : 1 - (t - from - p) / 50.0;
                d.lnGrad[t] += sag * x;
            }
        }
        if (d.chance(0.7)) {
            d.normalLr(d.pick(List.of("adam", "sgd", "momentum")));
        }
        return d.build(false, -1, null);
    }

    /** A loss close to zero (1e-5 to 1e-2) with large relative noise, slowly falling. */
    private static BenchRun nearZero(Draft.Seed s, int i) {
        Draft d = sized(s, s.random().nextInt(1000, 3001));
        d.firstStep = d.chance(0.5) ? d.between(10, 100) * 100L : 0;
        double level = d.logU(1e-5, 1e-2);
        d.decay(0, d.len, level, d.u(0.2, 0.8), d.logU(500, 5000), d.u(0.3, 1.0), d.chance(0.4) ? d.u(0.1, 0.5) : 0);
        optionalHealthyFields(d);
        return d.build(false, -1, null);
    }

    /** Slow decay under heavy noise, often correlated from step to step. */
    private static BenchRun slowHeavyNoise(Draft.Seed s, int i) {
        Draft d = sized(s, s.random().nextInt(2000, 5001));
        d.decay(
                0,
                d.len,
                d.logU(0.5, 5),
                d.u(0.3, 0.8),
                d.logU(2000, 10000),
                d.u(0.3, 0.7),
                d.chance(0.5) ? d.u(0.2, 0.5) : 0);
        optionalHealthyFields(d);
        return d.build(false, -1, null);
    }

    /**
     * Validation every 10-100 steps, tracking the training loss with a gap and noise, flattening out
     * at the end; a third wobble up 3%-8% for a few validations and come back.
     */
    private static BenchRun healthyValidation(Draft.Seed s, int i) {
        Draft d = sized(s, s.random().nextInt(1000, 4001));
        double l0 = d.logU(0.5, 3);
        double tau = d.logU(150, 1500);
        double floor = d.u(0.005, 0.1);
        d.decay(0, d.len, l0, floor, tau, d.u(0.02, 0.2), d.chance(0.4) ? 0.3 : 0);
        int every = d.pick(List.of(10, 20, 25, 50, 100));
        double gap = d.u(1.05, 1.5);
        double vfloor = d.u(0.1, 0.5);
        double[] e = d.noise(d.len, d.u(0.005, 0.06), 0);
        boolean wobble = i % 3 == 0;
        int wobbleAt = d.between(d.len / 3, 2 * d.len / 3);
        int wobbleLen = every * d.between(3, 6);
        double wobbleSize = Math.log(d.u(1.03, 1.08));
        d.valLoss = new double[d.len];
        Arrays.fill(d.valLoss, Double.NaN);
        for (int t = every; t < d.len; t += every) {
            double clean = Math.log(l0 * gap * (vfloor + (1 - vfloor) * Math.exp(-t / tau)));
            if (wobble && t >= wobbleAt && t < wobbleAt + 2 * wobbleLen) {
                int k = t - wobbleAt;
                clean += wobbleSize * (k < wobbleLen ? (double) k / wobbleLen : 2 - (double) k / wobbleLen);
            }
            d.valLoss[t] = Math.exp(clean + e[t]);
        }
        if (d.chance(0.5)) {
            d.normalLr(d.pick(List.of("adam", "sgd", "momentum")));
        }
        if (d.chance(0.5)) {
            d.healthyGrad();
        }
        return d.build(false, -1, null);
    }

    // ================================================================== helpers

    static double median(double[] a, int from, int to) {
        from = Math.max(0, from);
        double[] c = Arrays.copyOfRange(a, from, Math.max(from + 1, to));
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
