package io.losswatch.bench.probe;

import io.losswatch.client.MetricsPublisher;
import io.losswatch.events.StepEvent;
import io.losswatch.trainer.MetricsListener;
import io.losswatch.trainer.TrainConfig;
import io.losswatch.trainer.Trainer;
import io.losswatch.trainer.TrainingData;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What the {@link MetricsListener} and its sink cost a training step: one network trains in
 * alternating blocks of steps, with the listener attached and without, so that both sides share the
 * machine's load as it drifts; the first steps (JIT, allocation of workspaces) are left out. Besides
 * the step times it counts the time spent inside the listener's own callbacks, a direct and far less
 * noisy figure that leaves out what the sink's background work takes from the training thread.
 */
public final class ListenerOverhead {

    /**
     * Step times in nanoseconds, in the order they were measured.
     *
     * @param with        steps trained with the listener attached
     * @param without     steps trained without it
     * @param inListener  per step with the listener: time inside its callbacks, sink included
     * @param block       steps in a row on one side: {@code with} and {@code without} hold whole blocks,
     *                    the k-th block of each trained next to the other
     */
    public record Result(long[] with, long[] without, long[] inListener, int block) {

        public static double mean(long[] nanos) {
            return Arrays.stream(nanos).average().orElse(Double.NaN);
        }

        public static double median(long[] nanos) {
            if (nanos.length == 0) {
                return Double.NaN;
            }
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            int mid = sorted.length / 2;
            return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
        }

        /** How much longer a step with the listener takes than one without, in percent of the latter, by means. */
        public double overheadOfMeansPercent() {
            return 100 * (mean(with) / mean(without) - 1);
        }

        /** The same by medians, which a step slowed by another process on the machine moves less. */
        public double overheadOfMediansPercent() {
            return 100 * (median(with) / median(without) - 1);
        }

        /**
         * The overhead in percent from the differences between neighbouring blocks (each with-block
         * against the without-block after it), and twice its standard error: a drift in the machine's
         * load moves both blocks of a pair alike.
         *
         * @return {overhead percent, two standard errors in percent}
         */
        public double[] overheadOfBlockPairsPercent() {
            int pairs = Math.min(with.length, without.length) / block;
            double[] d = new double[pairs];
            for (int k = 0; k < pairs; k++) {
                d[k] = blockMean(with, k) - blockMean(without, k);
            }
            double mean = Arrays.stream(d).average().orElse(Double.NaN);
            double var = Arrays.stream(d).map(x -> (x - mean) * (x - mean)).sum() / Math.max(1, pairs - 1);
            double base = mean(without);
            return new double[] {100 * mean / base, 200 * Math.sqrt(var / pairs) / base};
        }

        private double blockMean(long[] nanos, int k) {
            return Arrays.stream(nanos, k * block, (k + 1) * block).average().orElse(Double.NaN);
        }

        /** Time inside the listener per step, in percent of a step without it. */
        public double inListenerPercent() {
            return 100 * mean(inListener) / mean(without);
        }
    }

    private final TrainConfig config;
    private final int block;
    private final int warmup;

    /**
     * @param config what to train (model, optimizer, data, batch size, seed); its step count, rounded
     *               up to whole blocks, is the number of measured steps on each side
     * @param block  steps in a row on one side before switching
     * @param warmup steps trained first and not measured
     */
    public ListenerOverhead(TrainConfig config, int block, int warmup) {
        this.config = Objects.requireNonNull(config, "config");
        if (block <= 0 || warmup < 0) {
            throw new IllegalArgumentException("block must be > 0 and warm-up >= 0, got " + block + " and " + warmup);
        }
        this.block = block;
        this.warmup = warmup;
    }

    /**
     * Trains and measures.
     *
     * @param sink     receives the listener's events (e.g. {@link MetricsPublisher#offer})
     * @param progress told after every block, with the steps measured so far
     */
    public Result measure(Consumer<StepEvent> sink, Consumer<Integer> progress) throws IOException {
        int perSide = Math.floorDiv(config.steps() + block - 1, block) * block;
        int total = warmup + 2 * perSide;
        TrainingData data = TrainingData.load(
                config.dataDir(), (int) Math.min(60_000L, (long) total * config.batchSize()), 0, config.seed());
        MultiLayerNetwork net = config.architecture().build(config.networkSpec());
        TimedListener timed = new TimedListener(new MetricsListener(config.runId(), Trainer.labels(config), sink));
        TrainingListener[] listening = {timed};
        TrainingListener[] none = {};
        long[] with = new long[perSide];
        long[] without = new long[perSide];
        long[] inListener = new long[perSide];
        int nWith = 0;
        int nWithout = 0;
        DataSet train = data.train();
        int batch = Math.min(config.batchSize(), train.numExamples());
        int batches = train.numExamples() / batch;
        for (int step = 0; step < total; step++) {
            int measured = step - warmup;
            // ABAB... by blocks; the warm-up alternates too, so that both paths are warm
            boolean on = Math.floorDiv(measured, block) % 2 == 0;
            net.setListeners(on ? listening : none);
            int from = (step % batches) * batch;
            DataSet minibatch =
                    new DataSet(rows(train.getFeatures(), from, batch), rows(train.getLabels(), from, batch));
            timed.nanos = 0;
            long t0 = System.nanoTime();
            net.fit(minibatch);
            long took = System.nanoTime() - t0;
            if (measured < 0) {
                continue;
            }
            if (on) {
                inListener[nWith] = timed.nanos;
                with[nWith++] = took;
            } else {
                without[nWithout++] = took;
            }
            if ((measured + 1) % block == 0) {
                progress.accept(measured + 1);
            }
        }
        return new Result(with, without, inListener, block);
    }

    private static INDArray rows(INDArray all, int from, int count) {
        return all.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all())
                .dup();
    }

    /** Delegates to the listener and adds up the time its callbacks take. */
    private static final class TimedListener extends BaseTrainingListener {
        private final MetricsListener delegate;
        long nanos;

        TimedListener(MetricsListener delegate) {
            this.delegate = delegate;
        }

        @Override
        public void onGradientCalculation(Model model) {
            long t0 = System.nanoTime();
            delegate.onGradientCalculation(model);
            nanos += System.nanoTime() - t0;
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            long t0 = System.nanoTime();
            delegate.iterationDone(model, iteration, epoch);
            nanos += System.nanoTime() - t0;
        }
    }
}
