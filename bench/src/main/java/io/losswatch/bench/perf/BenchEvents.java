package io.losswatch.bench.perf;

import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Step events as trainers send them, for the throughput and latency benchmarks: many runs
 * interleaved step by step, noisy healthy curves with every optional field a DL4J run fills, and a
 * share of runs whose loss starts growing exponentially part-way through.
 */
public final class BenchEvents {
    private final int runs;
    private final double divergingShare;
    private final String[] ids;
    private final double[] base;
    private final long[] onset;
    private final SplittableRandom random;
    private final Map<String, String> labels = Map.of("model", "lenet5", "optimizer", "sgd");

    public BenchEvents(String prefix, int runs, double divergingShare, long seed) {
        this.runs = runs;
        this.divergingShare = divergingShare;
        this.ids = new String[runs];
        this.base = new double[runs];
        this.onset = new long[runs];
        this.random = new SplittableRandom(seed);
        int diverging = divergingRuns();
        for (int k = 0; k < runs; k++) {
            ids[k] = prefix + "-" + k;
            base[k] = 1.5 + random.nextDouble();
            onset[k] = k < diverging ? -1 : Long.MAX_VALUE; // set per benchmark through stepsPerRun
        }
    }

    public int runs() {
        return runs;
    }

    public int divergingRuns() {
        return (int) Math.round(runs * divergingShare);
    }

    public String runId(int k) {
        return ids[k];
    }

    public boolean diverges(int k) {
        return onset[k] != Long.MAX_VALUE;
    }

    /** Diverging runs start growing between 40% and 60% of their steps, so each has a healthy past. */
    public void planOnsets(long stepsPerRun) {
        for (int k = 0; k < runs; k++) {
            if (onset[k] != Long.MAX_VALUE) {
                onset[k] = (long) (stepsPerRun * (0.4 + 0.2 * random.nextDouble()));
            }
        }
    }

    /** Step {@code t} of run {@code k}, as JSON bytes. */
    public byte[] json(int k, long t, Instant time) {
        return EventJson.writeStep(event(k, t, time));
    }

    StepEvent event(int k, long t, Instant time) {
        double noise = Math.exp(0.15 * random.nextGaussian());
        double loss = base[k] * Math.exp(-t / 800.0) * noise + 0.05;
        double grad = 1.5 * Math.exp(0.3 * random.nextGaussian());
        double ratio = 1e-3 * Math.exp(0.2 * random.nextGaussian());
        if (t >= onset[k]) {
            double growth = Math.exp(0.12 * (t - onset[k]));
            loss *= growth;
            grad *= growth;
            ratio = Math.min(1.0, ratio * growth);
        }
        Double val = t % 50 == 0 ? loss * 1.1 : null;
        return new StepEvent(
                StepEvent.SCHEMA_VERSION,
                ids[k],
                t,
                time,
                loss,
                grad,
                null,
                0.05,
                20.0 + t * 1e-3,
                ratio,
                val,
                (int) (t / 500),
                labels);
    }
}
