package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TrainerIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @BeforeAll
    static void createTopic() {
        KAFKA.createTopic(Topics.METRICS, 3);
    }

    private TrainConfig config(String runId, LeNet.Optimizer optimizer, double lr, int steps) {
        return TrainConfig.defaults(runId)
                .withOptimizer(optimizer, lr)
                .withSteps(steps)
                .withKafka(KAFKA.bootstrapServers(), Topics.METRICS, Map.of("linger.ms", "1"));
    }

    private static List<StepEvent> readSteps(String runId, int count) {
        return Committed.awaitSteps(KAFKA.bootstrapServers(), Topics.METRICS, runId, count, Duration.ofSeconds(60));
    }

    @Test
    void shouldPublishOneStepEventPerTrainingStep() throws Exception {
        TrainConfig config = config("it-adam", LeNet.Optimizer.ADAM, 1e-3, 20);

        TrainResult result = new Trainer(config).run();

        assertThat(result.steps()).isEqualTo(20);
        assertThat(result.nonFinite()).isFalse();
        assertThat(result.sent()).isEqualTo(20);
        assertThat(result.dropped() + result.failed()).isZero();
        List<StepEvent> events = readSteps("it-adam", 20);
        assertThat(events)
                .extracting(StepEvent::step)
                .containsExactlyElementsOf(
                        java.util.stream.LongStream.range(0, 20).boxed().toList());
        assertThat(events).allSatisfy(e -> {
            assertThat(e.loss()).isFinite().isPositive();
            assertThat(e.gradNorm()).isPositive();
            assertThat(e.learningRate()).isEqualTo(1e-3);
            assertThat(e.paramNorm()).isPositive();
            assertThat(e.updateRatio()).isPositive();
            assertThat(e.layerGradNorms()).containsKeys("0_W", "0_b", "2_W", "4_W", "5_W");
            assertThat(e.labels())
                    .containsEntry("optimizer", "adam")
                    .containsEntry("momentum", "0.9")
                    .containsEntry("beta2", "0.999")
                    .containsEntry("model", "lenet5")
                    .containsEntry("num_classes", "10");
        });
    }

    @Test
    void shouldTrainAHealthyAndADivergingRunSideBySide() throws Exception {
        Trainer healthy = new Trainer(config("it-healthy", LeNet.Optimizer.ADAM, 1e-3, 25));
        Trainer diverging = new Trainer(config("it-diverging", LeNet.Optimizer.SGD, 0.5, 25));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        TrainResult h;
        TrainResult d;
        try {
            Future<TrainResult> hf = pool.submit(healthy::run);
            Future<TrainResult> df = pool.submit(diverging::run);
            h = hf.get();
            d = df.get();
        } finally {
            pool.shutdownNow();
        }

        assertThat(h.steps()).isEqualTo(25);
        assertThat(h.nonFinite()).isFalse();
        assertThat(d.nonFinite()).isTrue();
        assertThat(d.stopReason()).startsWith("non-finite loss");
        assertThat(d.steps()).isLessThan(25);
        List<StepEvent> events = readSteps("it-diverging", (int) d.steps());
        assertThat(events.get(events.size() - 1).loss()).isNaN();
        assertThat(events.stream()
                        .mapToDouble(StepEvent::loss)
                        .filter(Double::isFinite)
                        .max()
                        .orElseThrow())
                .isGreaterThan(10);
    }
}
