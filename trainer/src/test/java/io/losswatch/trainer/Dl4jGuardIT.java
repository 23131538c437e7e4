package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.client.AlertAction;
import io.losswatch.client.guard.GuardAct;
import io.losswatch.client.guard.GuardConfig;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.monitor.LosswatchMetrics;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.ViewIterator;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A DL4J network the user built, not Losswatch's trainer, guarded in two lines against the real broker
 * and the real monitor: a small CNN with Adam at learning rate 1.0, which blows up at its first steps.
 */
class Dl4jGuardIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static MonitorApp monitor;

    @TempDir
    Path dir;

    @BeforeAll
    static void startMonitor() throws Exception {
        monitor = MonitorApp.start(
                MonitorConfig.defaults(KAFKA.bootstrapServers())
                        .withStateDir(Path.of("target", "streams-" + UUID.randomUUID())),
                MonitorApp.Options.defaults().withHttp("127.0.0.1", -1));
        await().alias("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
    }

    @AfterAll
    static void stopMonitor() {
        if (monitor != null) {
            monitor.close();
        }
    }

    /** A small CNN: convolution 5x5x8, max pooling, dense 64, softmax over 10 classes. */
    private static MultiLayerNetwork cnn(double learningRate) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(7)
                .updater(new Adam(learningRate))
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5)
                        .nIn(1)
                        .nOut(8)
                        .activation(Activation.RELU)
                        .build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                        .kernelSize(2, 2)
                        .stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder()
                        .nOut(64)
                        .activation(Activation.RELU)
                        .build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                        .nOut(10)
                        .activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutionalFlat(28, 28, 1))
                .build());
        net.init();
        return net;
    }

    /** Batches of 32 Fashion-MNIST images (synthetic ones where the dataset is not installed). */
    private static ViewIterator batches(int examples) throws Exception {
        TrainingData data = TrainingData.load(FashionMnist.DEFAULT_DIR, examples, 0, 7);
        return new ViewIterator(data.train(), 32);
    }

    /**
     * Keeps the training in step with the monitor: each step waits until the monitor has judged the one
     * before. A real model takes tens of milliseconds a step; this CNN a few, and would otherwise train
     * far past a blow-up before the alert on it could reach the loop.
     */
    private static final class InStepWithTheMonitor extends BaseTrainingListener {
        private final String runId;

        InStepWithTheMonitor(String runId) {
            this.runId = runId;
        }

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            if (iteration == 0) {
                return;
            }
            await().alias("the monitor has judged step " + (iteration - 1) + " of " + runId)
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> monitor.metrics()
                                    .runValue(LosswatchMetrics.STEP, runId)
                                    .orElse(-1)
                            >= iteration - 1);
        }
    }

    @Test
    void shouldRollBackAUsersNetworkOnItsAlertsAndEndHealthyOrSayTheRecoveryFailed() throws Exception {
        MultiLayerNetwork net = cnn(1.0);
        net.addListeners(new InStepWithTheMonitor("dl4j-guard"));
        List<String> notes = new CopyOnWriteArrayList<>();
        List<GuardAct> acts;
        try (Dl4jGuard guard = Dl4jGuard.attach(
                net,
                // a tenth of the rate each time: at 0.1 this CNN often stays at chance level (its gradients 8x
                // down), which the labels the guard sends (optimizer, num_classes) let the monitor call a
                // collapse, and the guard goes on to 0.01
                new GuardConfig(
                        "dl4j-guard",
                        AlertAction.ROLLBACK,
                        GuardConfig.DEFAULT_CHECKPOINT_EVERY,
                        GuardConfig.DEFAULT_CHECKPOINTS_KEPT,
                        GuardConfig.DEFAULT_MAX_ROLLBACKS,
                        GuardConfig.DEFAULT_LEARNING_RATE_FACTOR,
                        dir),
                KAFKA.bootstrapServers(),
                Map.of(),
                Map.of("model", "cnn"),
                notes::add)) {
            net.fit(guard.wrap(batches(4800)), 1);
            acts = guard.acts();
            notes.add(every10(Committed.awaitSteps(
                    KAFKA.bootstrapServers(),
                    Topics.METRICS,
                    "dl4j-guard",
                    net.getIterationCount(),
                    Duration.ofSeconds(30))));
            assertThat(guard.outcome())
                    .as(String.join("\n", notes))
                    .matches("recovered after \\d+ rollbacks?|recovery failed.*");
        }

        assertThat(acts).as(String.join("\n", notes)).isNotEmpty();
        assertThat(acts.get(0).kind()).isEqualTo(GuardAct.Kind.ROLLBACK);
        assertThat(acts.get(0).learningRate()).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-9));
        List<StepEvent> steps = Committed.awaitSteps(
                KAFKA.bootstrapServers(),
                Topics.METRICS,
                "dl4j-guard",
                net.getIterationCount(),
                Duration.ofSeconds(30));
        assertThat(steps)
                .as("the step after the rollback tells the monitor where the run resumed from")
                .anyMatch(e -> e.resumedFrom() != null
                        && e.resumedFrom() == acts.get(0).checkpointStep());
        assertThat(steps.get(0).labels())
                .containsEntry("optimizer", "adam")
                .containsEntry("momentum", "0.9")
                .containsEntry("beta2", "0.999")
                .containsEntry("num_classes", "10")
                .containsEntry("model", "cnn");
        if (acts.get(acts.size() - 1).kind() == GuardAct.Kind.ROLLBACK) {
            double last = steps.get(steps.size() - 1).loss();
            assertThat(last)
                    .as("well below chance level, ln 10 = 2.30; acts %s; losses %s", notes, every10(steps))
                    .isLessThan(1.5);
        } else {
            assertThat(acts.get(acts.size() - 1).recoveryFailed()).isTrue();
        }
    }

    private static String every10(List<StepEvent> steps) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < steps.size(); i += 5) {
            b.append(String.format(
                    java.util.Locale.ROOT,
                    "%d:%.3g ",
                    steps.get(i).step(),
                    steps.get(i).loss()));
        }
        return b.toString();
    }

    @Test
    void shouldSkipTheBatchesThatLedToTheAlert() throws Exception {
        MultiLayerNetwork net = cnn(1.0);
        net.addListeners(new InStepWithTheMonitor("dl4j-skip"));
        try (Dl4jGuard guard = Dl4jGuard.attach(
                net,
                GuardConfig.defaults("dl4j-skip", AlertAction.SKIP).withCheckpointDir(dir),
                KAFKA.bootstrapServers(),
                Map.of(),
                Map.of(),
                line -> {})) {
            ViewIterator data = batches(3200);
            net.fit(guard.wrap(data), 1);
            GuardAct first = guard.acts().get(0);
            assertThat(first.kind()).isEqualTo(GuardAct.Kind.SKIP);
            assertThat(first.skipBatches()).isPositive();
            assertThat(guard.skippedBatches())
                    .as("dropped from the iterator, not trained on")
                    .isPositive();
            assertThat(net.getIterationCount() + guard.skippedBatches()).isEqualTo(100);
        }
    }

    @Test
    void shouldStopAndKeepTheWeightsFromBeforeTheBlowUp() throws Exception {
        MultiLayerNetwork net = cnn(1.0);
        net.addListeners(new InStepWithTheMonitor("dl4j-stop"));
        var initial = net.params().dup();
        try (Dl4jGuard guard = Dl4jGuard.attach(
                net,
                GuardConfig.defaults("dl4j-stop", AlertAction.STOP).withCheckpointDir(dir),
                KAFKA.bootstrapServers(),
                Map.of(),
                Map.of(),
                line -> {})) {
            net.fit(guard.wrap(batches(4800)), 1);
            assertThat(guard.stopped()).isTrue();
            assertThat(guard.outcome()).isEqualTo("stopped on a divergence");
            assertThat(net.getIterationCount()).as("the fit ended at the stop").isLessThan(150);
            GuardAct stop = guard.acts().get(0);
            var saved = org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(
                    dir.resolve("dl4j-stop-step-" + stop.checkpointStep() + ".zip")
                            .toFile());
            if (stop.checkpointStep() == 0) {
                assertThat(saved.params().equalsWithEps(initial, 1e-6)).isTrue();
            }
            DataSet some = batches(512).next();
            assertThat(saved.score(some, false))
                    .as("the pre-onset loss, near chance level, not the blown-up one")
                    .isLessThan(3.0);
        }
    }
}
