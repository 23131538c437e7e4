package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.client.AlertAction;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.Severity;
import io.losswatch.events.StepEvent;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --on-alert} without Kafka: the test plays the monitor and puts the alert into the queue. */
class TrainerAlertTest {

    @TempDir
    Path dir;

    /** The linear model at SGD 0.1 grows exponentially from step 0 (docs/divergence.md); 1-8 ms a step. */
    private static TrainConfig exponential(String runId) {
        return TrainConfig.defaults(runId)
                .withModel(Architecture.LINEAR, null)
                .withOptimizer(LeNet.Optimizer.SGD, 0.1)
                .withSteps(120);
    }

    private static AlertEvent alert(String runId, long step, long onset, Severity severity) {
        return new AlertEvent(
                1,
                runId + "/LOSS_EXPONENTIAL_GROWTH/" + onset,
                runId,
                AlertType.LOSS_EXPONENTIAL_GROWTH,
                AlertStatus.FIRING,
                severity,
                step,
                onset,
                Instant.now(),
                Instant.now(),
                null,
                null,
                new AlertEvent.Diagnosis(Cause.LEARNING_RATE_TOO_HIGH, 0.8, List.of("test"), "lower it"));
    }

    @Test
    void shouldRollBackToTheCheckpointBeforeTheOnsetWithATenfoldLowerLearningRateAndRecover() throws Exception {
        BlockingQueue<AlertEvent> queue = new LinkedBlockingQueue<>();
        List<StepEvent> events = new ArrayList<>();
        List<String> console = new ArrayList<>();
        Trainer trainer =
                new Trainer(exponential("unit-rollback")).console(console::add).onAlert(AlertAction.ROLLBACK, queue);
        trainer.onStep(e -> {
            events.add(e);
            if (e.step() == 30) {
                queue.add(alert("unit-rollback", 30, 3, Severity.CRITICAL));
            }
        });

        TrainResult result = trainer.run();

        assertThat(result.stopReason()).isEqualTo("recovered after 1 rollback");
        assertThat(result.ending()).isEqualTo(TrainResult.Ending.RECOVERED);
        assertThat(trainer.rollbacks()).singleElement().satisfies(r -> {
            assertThat(r.atStep()).isEqualTo(31);
            assertThat(r.checkpointStep()).isZero();
            assertThat(r.oldLearningRate()).isEqualTo(0.1);
            assertThat(r.newLearningRate()).isEqualTo(0.01, org.assertj.core.data.Offset.offset(1e-12));
        });
        double atAlert = events.get(30).loss();
        assertThat(atAlert).isGreaterThan(100);
        assertThat(events.get(31).loss())
                .as("back to the loss of step 0's weights")
                .isLessThan(1.0);
        assertThat(events.get(events.size() - 1).loss())
                .isLessThan(events.get(0).loss());
        assertThat(events.get(31).learningRate()).isEqualTo(0.01, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(console)
                .anyMatch(l -> l.contains("rolled back to the checkpoint of step 0, learning rate 0.1 -> 0.01"));
    }

    @Test
    void shouldSaveACheckpointAndStopOnACriticalAlert() throws Exception {
        BlockingQueue<AlertEvent> queue = new LinkedBlockingQueue<>();
        List<String> console = new ArrayList<>();
        Trainer trainer = new Trainer(exponential("unit-stop"))
                .console(console::add)
                .checkpointDir(dir)
                .onAlert(AlertAction.STOP, queue);
        trainer.onStep(e -> {
            if (e.step() == 5) {
                queue.add(alert("unit-stop", 5, 8, Severity.WARNING));
            }
            if (e.step() == 10) {
                queue.add(alert("unit-stop", 10, 0, Severity.CRITICAL));
            }
        });

        TrainResult result = trainer.run();

        assertThat(result.steps())
                .as("a warning does not stop it; the critical alert does")
                .isEqualTo(11);
        assertThat(result.stopReason()).isEqualTo("stopped on a divergence");
        assertThat(console)
                .anyMatch(
                        l -> l.startsWith("unit-stop: stopped on critical LOSS_EXPONENTIAL_GROWTH alert (onset step 0")
                                && l.endsWith("the weights entering step 0, before the divergence, are in "
                                        + dir.resolve("unit-stop-step-0.zip")));
        assertThat(result.ending()).isEqualTo(TrainResult.Ending.STOPPED_ON_DIVERGENCE);
        assertThat(result.ending().exitCode()).isEqualTo(3);
        // the saved network is the one from before the divergence: the weights it started with
        TrainConfig config = exponential("unit-stop");
        var saved = org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(
                dir.resolve("unit-stop-step-0.zip").toFile());
        var fresh = config.architecture().build(config.networkSpec());
        assertThat(saved.params().equalsWithEps(fresh.params(), 1e-6)).isTrue();
    }

    @Test
    void shouldOnlyPrintTheAlertWhenToldToIgnoreIt() throws Exception {
        BlockingQueue<AlertEvent> queue = new LinkedBlockingQueue<>();
        queue.add(alert("unit-ignore", 0, 0, Severity.CRITICAL));
        List<String> console = new ArrayList<>();
        TrainResult result = new Trainer(exponential("unit-ignore").withSteps(5))
                .console(console::add)
                .onAlert(AlertAction.IGNORE, queue)
                .run();

        assertThat(result.steps()).isEqualTo(5);
        assertThat(console).anyMatch(l -> l.endsWith("going on"));
    }
}
