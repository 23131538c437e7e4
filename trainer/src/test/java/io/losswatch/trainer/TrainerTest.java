package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.losswatch.events.StepEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loop without Kafka, on synthetic images. */
class TrainerTest {

    @TempDir
    Path noData;

    @Test
    void shouldSayInOneLineThatItUsesSyntheticImagesAndReportEveryStep() throws Exception {
        List<String> console = new ArrayList<>();
        List<StepEvent> events = new ArrayList<>();
        TrainConfig config =
                TrainConfig.defaults("unit-lenet").withSteps(3).withBatchSize(8).withData(noData, 64);

        TrainResult result =
                new Trainer(config).console(console::add).onStep(events::add).run();

        assertThat(console)
                .singleElement()
                .asString()
                .startsWith("unit-lenet: no Fashion-MNIST IDX files in " + noData)
                .contains("synthetic");
        assertThat(result.steps()).isEqualTo(3);
        assertThat(result.syntheticData()).isTrue();
        assertThat(result.stopReason()).isEqualTo("completed");
        assertThat(result.sent()).isZero();
        assertThat(events).extracting(StepEvent::step).containsExactly(0L, 1L, 2L);
        assertThat(events.get(2).labels())
                .containsEntry("model", "lenet5")
                .containsEntry("optimizer", "adam")
                .containsEntry("lr", "0.001")
                .containsEntry("num_classes", "10")
                .containsEntry("loss", "mcxent");
        assertThat(events.get(2).loss()).isEqualTo(result.lastLoss());
    }

    @Test
    void shouldCycleEpochsWhenTheStepsNeedMoreExamplesThanLoaded() throws Exception {
        List<StepEvent> events = new ArrayList<>();
        TrainConfig config = TrainConfig.defaults("unit-epochs")
                .withModel(Architecture.LINEAR, null)
                .withOptimizer(LeNet.Optimizer.SGD, 0.01)
                .withSteps(10)
                .withBatchSize(10)
                .withData(noData, 40);

        new Trainer(config).console(line -> {}).onStep(events::add).run();

        assertThat(events).extracting(StepEvent::epoch).containsExactly(0, 0, 0, 0, 1, 1, 1, 1, 2, 2);
    }

    @Test
    void shouldStopSoonAfterTheLossTurnsNonFinite() throws Exception {
        List<String> console = new ArrayList<>();
        TrainConfig config = TrainConfig.defaults("unit-nan")
                .withModel(Architecture.LINEAR, LeNet.Loss.MSE)
                .withOptimizer(LeNet.Optimizer.SGD, 1000)
                .withSteps(200)
                .withBatchSize(16)
                .withData(noData, 256);

        TrainResult result = new Trainer(config).console(console::add).run();

        assertThat(result.nonFinite()).isTrue();
        assertThat(result.steps()).isLessThan(200);
        assertThat(result.stopReason()).startsWith("non-finite loss for " + Trainer.NON_FINITE_PATIENCE + " steps");
        assertThat(console).last().asString().startsWith("unit-nan: stopping: non-finite loss");
    }

    @Test
    void shouldStopWhenAsked() throws Exception {
        TrainConfig config = TrainConfig.defaults("unit-stop")
                .withModel(Architecture.LINEAR, null)
                .withSteps(1000)
                .withData(noData, 64);
        Trainer trainer = new Trainer(config).console(line -> {});
        trainer.onStep(e -> {
            if (e.step() == 4) {
                trainer.stop();
            }
        });

        TrainResult result = trainer.run();

        assertThat(result.steps()).isEqualTo(5);
        assertThat(result.stopReason()).isEqualTo("stopped on request");
    }

    @Test
    void shouldPaceAFastRunSoItCanBeWatched() throws Exception {
        TrainConfig config = TrainConfig.defaults("unit-pace")
                .withModel(Architecture.LINEAR, null)
                .withSteps(4)
                .withData(noData, 64);

        TrainResult result = new Trainer(config)
                .console(line -> {})
                .pace(java.time.Duration.ofMillis(60))
                .run();

        assertThat(result.elapsed()).isGreaterThanOrEqualTo(java.time.Duration.ofMillis(240));
    }

    @Test
    void shouldRejectInvalidSettingsWithASentence() {
        assertThatThrownBy(() -> TrainConfig.defaults("bad id!"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("run id must be");
        assertThatThrownBy(() -> TrainConfig.defaults("r").withOptimizer(LeNet.Optimizer.SGD, 0))
                .hasMessageContaining("learning rate must be a positive number");
        assertThatThrownBy(() -> TrainConfig.defaults("r").withRegularization(0, 1.5))
                .hasMessageContaining("dropout must be in [0, 1)");
        assertThat(TrainConfig.defaults("r")
                        .withModel(Architecture.LINEAR, null)
                        .loss())
                .isEqualTo(LeNet.Loss.MSE);
        assertThat(Architecture.parse("lenet5")).isEqualTo(Architecture.LENET);
        assertThat(LeNet.Optimizer.parse(" SGD ")).isEqualTo(LeNet.Optimizer.SGD);
    }
}
