package io.losswatch.trainer;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import io.losswatch.events.StepEvent;

/**
 * Trains LeNet (or the linear classifier) on Fashion-MNIST (or synthetic images) for a number of steps and publishes one step
 * event per step. Each instance owns its network and data, so several can train side by side in
 * threads of one JVM. Not reusable: call {@link #run()} once.
 */
public final class Trainer {

    /** Consecutive non-finite losses after which training stops: the run cannot recover. */
    public static final int NON_FINITE_PATIENCE = 5;

    private final TrainConfig config;
    private Consumer<StepEvent> progress = e -> { };
    private Consumer<String> console = System.out::println;
    private MetricsPublisher sharedPublisher;
    private Duration pace = Duration.ZERO;
    private volatile boolean stopRequested;

    public Trainer(TrainConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Called with every step event on the training thread, after it is offered to Kafka; must be quick. */
    public Trainer onStep(Consumer<StepEvent> callback) {
        this.progress = Objects.requireNonNull(callback, "callback");
        return this;
    }

    /** Where the one-line notes go (data source, early stop). Default: standard output. */
    public Trainer console(Consumer<String> sink) {
        this.console = Objects.requireNonNull(sink, "sink");
        return this;
    }

    /**
     * Publishes through {@code publisher} instead of opening one from the config's bootstrap
     * servers; the trainer neither flushes nor closes it.
     */
    public Trainer publisher(MetricsPublisher publisher) {
        this.sharedPublisher = publisher;
        return this;
    }

    /**
     * Makes every step take at least {@code minStepTime}, so a fast run (the linear model trains in
     * about a millisecond a step) can be watched live. Zero, the default, trains at full speed.
     */
    public Trainer pace(Duration minStepTime) {
        if (minStepTime.isNegative()) {
            throw new IllegalArgumentException("pace must be >= 0, got " + minStepTime);
        }
        this.pace = minStepTime;
        return this;
    }

    /** Asks the training loop to stop after the current step; safe from any thread. */
    public void stop() {
        stopRequested = true;
    }

    /** The labels every event of this run carries. */
    public static Map<String, String> labels(TrainConfig config) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("model", config.architecture().label());
        labels.put("optimizer", config.optimizer().label());
        labels.put("lr", Double.toString(config.learningRate()));
        labels.put("num_classes", Integer.toString(FashionMnist.NUM_CLASSES));
        labels.put("loss", config.loss().label());
        return labels;
    }

    public TrainResult run() throws IOException {
        int validation = config.validateEvery() > 0 ? TrainConfig.VALIDATION_EXAMPLES : 0;
        TrainingData data = TrainingData.load(config.dataDir(), config.exampleLimit() + validation, validation,
                config.seed());
        if (data.synthetic()) {
            console.accept(config.runId() + ": " + data.description());
        }
        MetricsPublisher own = sharedPublisher == null && config.bootstrapServers() != null
                ? new MetricsPublisher(config.bootstrapServers(), config.topic(), config.kafkaProps())
                : null;
        MetricsPublisher publisher = sharedPublisher != null ? sharedPublisher : own;
        TrainResult result;
        try {
            result = train(data, publisher);
        } finally {
            if (own != null) {
                own.close();
            }
        }
        // Counted after close, so what was still on its way is known to be sent or failed.
        return publisher == null ? result : new TrainResult(result.runId(), result.steps(), result.lastLoss(),
                result.nonFinite(), result.stopReason(), result.syntheticData(), publisher.sentCount(),
                publisher.droppedCount(), publisher.failedCount(), result.elapsed());
    }

    private TrainResult train(TrainingData data, MetricsPublisher publisher) {
        MultiLayerNetwork net = config.architecture().build(config.networkSpec());
        StepTracker tracker = new StepTracker(publisher, progress);
        MetricsListener listener = new MetricsListener(config.runId(), labels(config), tracker);
        if (data.validation() != null) {
            listener.withValidation(data.validation(), config.validateEvery());
        }
        net.addListeners(listener);

        DataSet train = data.train();
        int n = train.numExamples();
        int batch = Math.min(config.batchSize(), n);
        int batchesPerEpoch = n / batch;
        int[] order = TrainingData.permutation(n, config.seed());
        int epoch = 0;
        int batchInEpoch = 0;
        String reason = "completed";
        long start = System.nanoTime();
        for (int step = 0; step < config.steps(); step++) {
            if (stopRequested) {
                reason = "stopped on request";
                break;
            }
            long stepStart = System.nanoTime();
            if (batchInEpoch == batchesPerEpoch) {
                epoch++;
                batchInEpoch = 0;
                order = TrainingData.permutation(n, config.seed() + epoch);
                net.incrementEpochCount();
            }
            int[] rows = Arrays.copyOfRange(order, batchInEpoch * batch, (batchInEpoch + 1) * batch);
            batchInEpoch++;
            INDArray features = train.getFeatures().getRows(rows);
            INDArray labels = train.getLabels().getRows(rows);
            net.fit(new DataSet(features, labels));
            if (tracker.nonFiniteStreak >= NON_FINITE_PATIENCE) {
                reason = "non-finite loss for %d steps in a row since step %d"
                        .formatted(NON_FINITE_PATIENCE, tracker.firstNonFiniteStep);
                console.accept(config.runId() + ": stopping: " + reason);
                break;
            }
            if (!waitForPace(stepStart)) {
                reason = "stopped on request";
                break;
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        return new TrainResult(config.runId(), tracker.steps, tracker.lastLoss, tracker.firstNonFiniteStep >= 0,
                reason, data.synthetic(), 0, 0, 0, elapsed);
    }

    /** Sleeps out the rest of the step's pace; false when interrupted. */
    private boolean waitForPace(long stepStart) {
        long left = pace.toNanos() - (System.nanoTime() - stepStart);
        if (left <= 0) {
            return true;
        }
        try {
            java.util.concurrent.TimeUnit.NANOSECONDS.sleep(left);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Receives each event on the training thread: publishes it, reports it, and remembers the loss. */
    private static final class StepTracker implements Consumer<StepEvent> {
        private final MetricsPublisher publisher;
        private final Consumer<StepEvent> progress;
        long steps;
        double lastLoss = Double.NaN;
        int nonFiniteStreak;
        long firstNonFiniteStep = -1;

        StepTracker(MetricsPublisher publisher, Consumer<StepEvent> progress) {
            this.publisher = publisher;
            this.progress = progress;
        }

        @Override
        public void accept(StepEvent event) {
            steps++;
            lastLoss = event.loss();
            if (Double.isFinite(event.loss())) {
                nonFiniteStreak = 0;
            } else {
                nonFiniteStreak++;
                if (firstNonFiniteStep < 0) {
                    firstNonFiniteStep = event.step();
                }
            }
            if (publisher != null) {
                publisher.offer(event);
            }
            progress.accept(event);
        }
    }
}
