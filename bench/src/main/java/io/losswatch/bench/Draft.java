package io.losswatch.bench;

import io.losswatch.events.Cause;
import io.losswatch.events.StepEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A run being drawn: ln(loss) and the optional fields per step, each array as long as the run may
 * get. A {@code null} optional array means the trainer does not send that field.
 */
final class Draft {
    final String name;
    final String family;
    final SplittableRandom r;
    int len;
    long firstStep;
    final double[] lnLoss;
    double[] lnGrad;
    double[] lr;
    double[] updateRatio;
    double[] valLoss; // NaN on steps without validation
    final Map<String, String> labels = new LinkedHashMap<>();

    /** Where a run's randomness comes from: its family, its index and the half's seed, nothing else. */
    record Seed(String family, int index, SplittableRandom random) {
        /**
         * Each run's generator from a hash of (half seed, family, index). The half seed is hashed
         * first: {@code new SplittableRandom(x)} and {@code new SplittableRandom(x + gamma)} give the same
         * draws shifted by one, so seeding with {@code halfSeed * gamma + ...} (as an earlier version did) made
         * neighbouring half seeds replay each other's draws, and some runs came out identical.
         */
        Seed(String family, int index, long halfSeed) {
            this(family, index, new SplittableRandom(mix(mix(halfSeed) + family.hashCode() * 1_000_003L + index)));
        }

        /** Stafford's variant 13 of MurmurHash3's 64-bit finalizer: neighbouring inputs, unrelated outputs. */
        static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }

    Draft(String name, String family, SplittableRandom r, int len) {
        this.name = name;
        this.family = family;
        this.r = r;
        this.len = len;
        this.lnLoss = new double[len];
    }

    // ------------------------------------------------------------------ random draws

    double u(double a, double b) {
        return a + (b - a) * r.nextDouble();
    }

    /** Log-uniform between a and b. */
    double logU(double a, double b) {
        return Math.exp(u(Math.log(a), Math.log(b)));
    }

    int between(int a, int b) {
        return a + r.nextInt(b - a + 1);
    }

    boolean chance(double p) {
        return r.nextDouble() < p;
    }

    <T> T pick(List<T> options) {
        return options.get(r.nextInt(options.size()));
    }

    /** AR(1) Gaussian noise with standard deviation sigma and lag-1 correlation rho. */
    double[] noise(int n, double sigma, double rho) {
        double[] e = new double[n];
        double prev = r.nextGaussian();
        double k = Math.sqrt(1 - rho * rho);
        for (int i = 0; i < n; i++) {
            prev = rho * prev + k * r.nextGaussian();
            e[i] = sigma * prev;
        }
        return e;
    }

    // ------------------------------------------------------------------ shapes

    /** Healthy decay: ln(floor + (l0 - floor) exp(-t / tau)) from step {@code from} on, plus noise. */
    Draft decay(int from, int to, double l0, double floorFraction, double tau, double sigma, double rho) {
        double floor = l0 * floorFraction;
        double[] e = noise(to - from, sigma, rho);
        for (int t = from; t < to; t++) {
            lnLoss[t] = Math.log(floor + (l0 - floor) * Math.exp(-(t - from) / tau)) + e[t - from];
        }
        return this;
    }

    /** A typical healthy draw of {@link #decay}. */
    Draft healthyDecay(int from, int to, double l0) {
        double sigma = pickNoise();
        return decay(from, to, l0, u(0.02, 0.35), logU(80, 3000), sigma, chance(0.4) ? u(0.1, 0.6) : 0);
    }

    /** Noise level of ln(loss): small, medium or large, a third each. */
    double pickNoise() {
        return switch (r.nextInt(3)) {
            case 0 -> u(0.005, 0.05);
            case 1 -> u(0.05, 0.2);
            default -> u(0.2, 0.45);
        };
    }

    /** Healthy gradient norm: rises a few-fold early, drifts down later, noisy. */
    Draft healthyGrad() {
        lnGrad = new double[lnLoss.length];
        double g0 = Math.log(logU(0.2, 5));
        double rise = logU(1, 6);
        double riseTau = u(20, 300);
        double late = Math.log(u(0.3, 1.0));
        double[] e = noise(lnGrad.length, u(0.08, 0.35), chance(0.5) ? u(0.1, 0.5) : 0);
        for (int t = 0; t < lnGrad.length; t++) {
            lnGrad[t] = g0 + Math.log(1 + (rise - 1) * (1 - Math.exp(-t / riseTau))) + late * t / lnGrad.length + e[t];
        }
        return this;
    }

    /** A constant learning rate that is normal for the optimizer. */
    Draft normalLr(String optimizer) {
        labels.put("optimizer", optimizer);
        double v = optimizer.equals("adam") ? logU(1e-4, 3e-3) : logU(0.01, 0.3);
        lr = new double[lnLoss.length];
        Arrays.fill(lr, v);
        return this;
    }

    /** A constant learning rate far too high for the optimizer. */
    Draft highLr(String optimizer) {
        labels.put("optimizer", optimizer);
        double v = optimizer.equals("adam") ? logU(0.02, 1.0) : logU(2, 50);
        lr = new double[lnLoss.length];
        Arrays.fill(lr, v);
        return this;
    }

    /** Update ratios of a healthy run: about 1e-3, proportional to the learning rate when it changes. */
    Draft normalUpdateRatio() {
        updateRatio = new double[lnLoss.length];
        double base = logU(3e-4, 1e-2);
        double[] e = noise(updateRatio.length, 0.2, 0.3);
        double lr0 = lr == null ? 1 : Arrays.stream(lr).max().orElse(1);
        for (int t = 0; t < updateRatio.length; t++) {
            double scale = lr == null || lr0 <= 0 ? 1 : Math.max(lr[t] / lr0, 1e-3);
            updateRatio[t] = base * scale * Math.exp(e[t]);
        }
        return this;
    }

    Draft optimizerLabel(String optimizer) {
        labels.put("optimizer", optimizer);
        return this;
    }

    /** Ends the run with {@code count} non-finite losses from step {@code at}: the trainer gives up. */
    Draft nonFiniteFrom(int at, int count) {
        int end = Math.min(lnLoss.length, at + count);
        for (int t = at; t < end; t++) {
            lnLoss[t] = t == at && chance(0.4) ? Double.POSITIVE_INFINITY : Double.NaN;
            if (lnGrad != null) {
                lnGrad[t] = Double.NaN;
            }
        }
        len = end;
        return this;
    }

    // ------------------------------------------------------------------ result

    BenchRun build(boolean diverging, long onsetStep, Cause cause) {
        List<StepEvent> events = new ArrayList<>(len);
        Map<String, String> l = Map.copyOf(labels);
        for (int t = 0; t < len; t++) {
            double loss = Math.exp(lnLoss[t]);
            if (Double.isNaN(lnLoss[t])) {
                loss = Double.NaN;
            }
            Double g = lnGrad == null ? null : Math.exp(lnGrad[t]);
            if (lnGrad != null && Double.isNaN(lnGrad[t])) {
                g = Double.NaN;
            }
            Double v = valLoss == null || Double.isNaN(valLoss[t]) ? null : valLoss[t];
            events.add(new StepEvent(
                    StepEvent.SCHEMA_VERSION,
                    name,
                    firstStep + t,
                    null,
                    loss,
                    g,
                    null,
                    lr == null ? null : lr[t],
                    null,
                    updateRatio == null ? null : updateRatio[t],
                    v,
                    null,
                    l));
        }
        return new BenchRun(name, family, diverging, diverging ? firstStep + onsetStep : -1, cause, events);
    }
}
