package io.losswatch.trainer;

import io.losswatch.events.Topics;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything one training run needs.
 *
 * @param runId            run id every event carries: 1-128 of {@code [A-Za-z0-9._:/-]}
 * @param optimizer        adam or plain SGD
 * @param learningRate     learning rate, > 0
 * @param steps            iterations to train; epochs cycle as needed
 * @param batchSize        examples per step
 * @param seed             seeds weights, data shuffling and synthetic data
 * @param dataDir          directory with the Fashion-MNIST IDX files; synthetic images when absent
 * @param bootstrapServers Kafka to publish to; {@code null} publishes nothing (the progress callback still runs)
 * @param topic            metrics topic
 * @param kafkaProps       extra Kafka client settings (TLS, SASL, ...)
 * @param l2               L2 weight decay, 0 for none
 * @param dropout          dense-layer dropout probability, 0 for none
 * @param validateEvery    score a held-out set every this many steps as {@code val_loss}; 0 for never
 * @param examples         training examples to load; 0 loads what {@code steps x batchSize} needs (at most 60,000)
 * @param architecture     LeNet (default) or the linear classifier
 * @param loss             output loss; null means the architecture's default (LeNet: MCXENT, linear: MSE)
 */
public record TrainConfig(
        String runId,
        LeNet.Optimizer optimizer,
        double learningRate,
        int steps,
        int batchSize,
        long seed,
        Path dataDir,
        String bootstrapServers,
        String topic,
        Map<String, String> kafkaProps,
        double l2,
        double dropout,
        int validateEvery,
        int examples,
        Architecture architecture,
        LeNet.Loss loss) {

    public static final int DEFAULT_STEPS = 300;
    public static final int DEFAULT_BATCH_SIZE = 32;
    public static final long DEFAULT_SEED = 42;
    public static final int VALIDATION_EXAMPLES = 500;
    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9._:/-]{1,128}");

    public TrainConfig {
        Objects.requireNonNull(runId, "runId");
        if (!RUN_ID.matcher(runId).matches()) {
            throw new IllegalArgumentException(
                    "run id must be 1-128 characters of letters, digits and . _ : / -, got '" + runId + "'");
        }
        Objects.requireNonNull(optimizer, "optimizer");
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
        }
        if (steps <= 0) {
            throw new IllegalArgumentException("steps must be > 0, got " + steps);
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
        }
        if (validateEvery < 0 || examples < 0) {
            throw new IllegalArgumentException("validate-every and examples must be >= 0");
        }
        dataDir = dataDir == null ? FashionMnist.DEFAULT_DIR : dataDir;
        topic = topic == null ? Topics.METRICS : topic;
        kafkaProps = kafkaProps == null ? Map.of() : Map.copyOf(kafkaProps);
        architecture = architecture == null ? Architecture.LENET : architecture;
        loss = loss == null ? architecture.defaultLoss() : loss;
        networkSpec(optimizer, learningRate, seed, l2, dropout, loss);
    }

    /** Adam at lr 1e-3, 300 steps of 32, seed 42, default data, no Kafka. */
    public static TrainConfig defaults(String runId) {
        return new TrainConfig(
                runId,
                LeNet.Optimizer.ADAM,
                1e-3,
                DEFAULT_STEPS,
                DEFAULT_BATCH_SIZE,
                DEFAULT_SEED,
                FashionMnist.DEFAULT_DIR,
                null,
                Topics.METRICS,
                Map.of(),
                0,
                0,
                0,
                0,
                Architecture.LENET,
                null);
    }

    public TrainConfig withOptimizer(LeNet.Optimizer o, double lr) {
        return new TrainConfig(
                runId,
                o,
                lr,
                steps,
                batchSize,
                seed,
                dataDir,
                bootstrapServers,
                topic,
                kafkaProps,
                l2,
                dropout,
                validateEvery,
                examples,
                architecture,
                loss);
    }

    public TrainConfig withSteps(int n) {
        return new TrainConfig(
                runId,
                optimizer,
                learningRate,
                n,
                batchSize,
                seed,
                dataDir,
                bootstrapServers,
                topic,
                kafkaProps,
                l2,
                dropout,
                validateEvery,
                examples,
                architecture,
                loss);
    }

    public TrainConfig withBatchSize(int n) {
        return new TrainConfig(
                runId,
                optimizer,
                learningRate,
                steps,
                n,
                seed,
                dataDir,
                bootstrapServers,
                topic,
                kafkaProps,
                l2,
                dropout,
                validateEvery,
                examples,
                architecture,
                loss);
    }

    public TrainConfig withSeed(long s) {
        return new TrainConfig(
                runId,
                optimizer,
                learningRate,
                steps,
                batchSize,
                s,
                dataDir,
                bootstrapServers,
                topic,
                kafkaProps,
                l2,
                dropout,
                validateEvery,
                examples,
                architecture,
                loss);
    }

    public TrainConfig withData(Path dir, int exampleLimit) {
        return new TrainConfig(
                runId,
                optimizer,
                learningRate,
                steps,
                batchSize,
                seed,
                dir,
                bootstrapServers,
                topic,
                kafkaProps,
                l2,
                dropout,
                validateEvery,
                exampleLimit,
                architecture,
                loss);
    }

    public TrainConfig withKafka(String servers, String metricsTopic, Map<String, String> props) {
        return new TrainConfig(
                runId,
                optimizer,
                learningRate,
                steps,
                batchSize,
                seed,
                dataDir,
                servers,
                metricsTopic,
                props,
                l2,
                dropout,
                validateEvery,
                examples,
                architecture,
                loss);
    }

    public TrainConfig withRegularization(double l2Coefficient, double dropoutProbability) {
        return new TrainConfig(
                runId,
                optimizer,
                learningRate,
                steps,
                batchSize,
                seed,
                dataDir,
                bootstrapServers,
                topic,
                kafkaProps,
                l2Coefficient,
                dropoutProbability,
                validateEvery,
                examples,
                architecture,
                loss);
    }

    public TrainConfig withValidateEvery(int every) {
        return new TrainConfig(
                runId,
                optimizer,
                learningRate,
                steps,
                batchSize,
                seed,
                dataDir,
                bootstrapServers,
                topic,
                kafkaProps,
                l2,
                dropout,
                every,
                examples,
                architecture,
                loss);
    }

    /** Trains {@code a} with {@code l}, or with its default loss when {@code l} is null. */
    public TrainConfig withModel(Architecture a, LeNet.Loss l) {
        return new TrainConfig(
                runId,
                optimizer,
                learningRate,
                steps,
                batchSize,
                seed,
                dataDir,
                bootstrapServers,
                topic,
                kafkaProps,
                l2,
                dropout,
                validateEvery,
                examples,
                a,
                l);
    }

    /** The network this run trains. */
    public LeNet.Spec networkSpec() {
        return networkSpec(optimizer, learningRate, seed, l2, dropout, loss);
    }

    private static LeNet.Spec networkSpec(
            LeNet.Optimizer optimizer, double learningRate, long seed, double l2, double dropout, LeNet.Loss loss) {
        return new LeNet.Spec(optimizer, learningRate, seed, l2, dropout, loss, 1.0);
    }

    /** How many training examples to load. */
    int exampleLimit() {
        if (examples > 0) {
            return examples;
        }
        long needed = (long) steps * batchSize;
        return (int) Math.min(60_000, Math.max(batchSize, needed));
    }
}
