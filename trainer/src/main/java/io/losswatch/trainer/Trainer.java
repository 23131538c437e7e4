package io.losswatch.trainer;

import io.losswatch.client.AlertAction;
import io.losswatch.client.AlertFollower;
import io.losswatch.client.MetricsPublisher;
import io.losswatch.client.guard.Guard;
import io.losswatch.client.guard.GuardAct;
import io.losswatch.client.guard.GuardConfig;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.StepEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Trains LeNet (or the linear classifier) on Fashion-MNIST (or synthetic images) for a number of steps and publishes one step
 * event per step. Each instance owns its network and data, so several can train side by side in
 * threads of one JVM. Not reusable: call {@link #run()} once.
 */
public final class Trainer {

    /** Consecutive non-finite losses after which training stops: the run cannot recover. */
    public static final int NON_FINITE_PATIENCE = 5;
    /** Steps between the in-memory checkpoints a rollback can go back to. */
    public static final int CHECKPOINT_EVERY = 5;
    /** In-memory checkpoints kept (the oldest, taken before step 0, is always kept). */
    public static final int CHECKPOINTS_KEPT = 32;
    /** Rollbacks before the next critical alert stops the run as a failed recovery. */
    public static final int MAX_ROLLBACKS = GuardConfig.DEFAULT_MAX_ROLLBACKS;
    /** How long a run whose loss has gone non-finite waits for the monitor's alert before it gives up. */
    public static final Duration ALERT_WAIT = Duration.ofSeconds(30);

    /** What one rollback did. */
    public record Rollback(
            long atStep,
            String alertType,
            long onsetStep,
            long checkpointStep,
            double oldLearningRate,
            double newLearningRate) {}

    private final TrainConfig config;
    private Consumer<StepEvent> progress = e -> {};
    private Consumer<String> console = System.out::println;
    private MetricsPublisher sharedPublisher;
    private Duration pace = Duration.ZERO;
    private volatile boolean stopRequested;
    private AlertAction alertAction = AlertAction.IGNORE;
    private BlockingQueue<AlertEvent> alerts;
    private Path checkpointDir = Path.of("checkpoints");
    private final List<Rollback> rollbacks = new ArrayList<>();

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

    /**
     * Acts on the run's alerts, which another thread puts into {@code queue} (an {@link AlertFollower}
     * in production): between steps the loop takes them and, on a critical firing alert, stops after
     * saving a checkpoint to {@link #checkpointDir} or rolls back to the last in-memory checkpoint
     * taken before the alert's onset with a tenfold lower learning rate.
     */
    public Trainer onAlert(AlertAction action, BlockingQueue<AlertEvent> queue) {
        this.alertAction = Objects.requireNonNull(action, "action");
        this.alerts = queue;
        return this;
    }

    /** Where {@code --on-alert stop} saves the network (DL4J's ModelSerializer zip). Default: ./checkpoints. */
    public Trainer checkpointDir(Path dir) {
        this.checkpointDir = Objects.requireNonNull(dir, "dir");
        return this;
    }

    /** The rollbacks done so far; read after {@link #run()}. */
    public synchronized List<Rollback> rollbacks() {
        return List.copyOf(rollbacks);
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
        TrainingData data =
                TrainingData.load(config.dataDir(), config.exampleLimit() + validation, validation, config.seed());
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
        return publisher == null
                ? result
                : new TrainResult(
                        result.runId(),
                        result.steps(),
                        result.lastLoss(),
                        result.nonFinite(),
                        result.stopReason(),
                        result.ending(),
                        result.syntheticData(),
                        publisher.sentCount(),
                        publisher.droppedCount(),
                        publisher.failedCount(),
                        result.elapsed());
    }

    private TrainResult train(TrainingData data, MetricsPublisher publisher) {
        MultiLayerNetwork net = config.architecture().build(config.networkSpec());
        StepTracker tracker = new StepTracker(publisher, progress);
        Map<String, String> eventLabels = labels(config);
        eventLabels.putAll(Dl4jGuard.momentLabels(net));
        MetricsListener listener = new MetricsListener(config.runId(), eventLabels, tracker);
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
        GuardConfig guardConfig = new GuardConfig(
                config.runId(),
                alerts == null ? AlertAction.IGNORE : alertAction,
                CHECKPOINT_EVERY,
                CHECKPOINTS_KEPT,
                MAX_ROLLBACKS,
                GuardConfig.DEFAULT_LEARNING_RATE_FACTOR,
                checkpointDir);
        Guard<Dl4jModel.Snapshot> guard = new Guard<>(
                        guardConfig, new Dl4jModel(net), alerts == null ? new LinkedBlockingQueue<>() : alerts, 0)
                .notes(console);
        tracker.guard = guard;
        long skip = 0;
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
            if (skip > 0) {
                // a skip drops the batches that came after the ones that led to the divergence; they do not
                // count as trained steps
                skip--;
                step--;
                continue;
            }
            INDArray features = train.getFeatures().getRows(rows);
            INDArray labels = train.getLabels().getRows(rows);
            net.fit(new DataSet(features, labels));
            GuardAct act = guard.afterStep(tracker.lastStep);
            if (act == null
                    && tracker.nonFiniteStreak >= NON_FINITE_PATIENCE
                    && guardConfig.action() != AlertAction.IGNORE) {
                // the monitor's verdict is on its way: wait for it rather than give up
                act = guard.awaitVerdict(tracker.lastStep, ALERT_WAIT);
            }
            if (act != null) {
                console.accept(act.message());
                if (act.kind() == GuardAct.Kind.STOP) {
                    reason = guard.outcome();
                    break;
                }
                tracker.nonFiniteStreak = 0;
                skip = act.skipBatches();
                synchronized (this) {
                    rollbacks.add(new Rollback(
                            tracker.lastStep + 1,
                            act.alert().type().name(),
                            act.alert().onsetStep(),
                            act.checkpointStep(),
                            act.previousLearningRate(),
                            act.learningRate()));
                }
            }
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
        if (reason.equals("completed") && guard.rollbacks() > 0) {
            reason = guard.outcome();
        }
        return new TrainResult(
                config.runId(),
                tracker.steps,
                tracker.lastLoss,
                tracker.firstNonFiniteStep >= 0,
                reason,
                ending(guard, reason),
                data.synthetic(),
                0,
                0,
                0,
                elapsed);
    }

    private static TrainResult.Ending ending(Guard<?> guard, String reason) {
        if (guard.recoveryFailed()) {
            return TrainResult.Ending.RECOVERY_FAILED;
        }
        if (guard.stopped()) {
            return TrainResult.Ending.STOPPED_ON_DIVERGENCE;
        }
        if (reason.equals("stopped on request")) {
            return TrainResult.Ending.STOPPED_ON_REQUEST;
        }
        if (reason.startsWith("non-finite")) {
            return TrainResult.Ending.NON_FINITE;
        }
        return guard.rollbacks() > 0 ? TrainResult.Ending.RECOVERED : TrainResult.Ending.COMPLETED;
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
        Guard<?> guard;
        long steps;
        long lastStep = -1;
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
            lastStep = event.step();
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
                publisher.offer(guard == null ? event : guard.annotate(event));
            }
            progress.accept(event);
        }
    }
}
