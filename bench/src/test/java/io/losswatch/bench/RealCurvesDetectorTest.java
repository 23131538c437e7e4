package io.losswatch.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.detector.Detector;
import io.losswatch.detector.DetectorConfig;
import io.losswatch.detector.RunState;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The detector on the real curves the benchmark ships: recorded DL4J runs and a table of PyTorch losses. */
class RealCurvesDetectorTest {
    private final Detector detector = new Detector(DetectorConfig.defaults());

    private List<AlertEvent> run(int steps, IntToDoubleFunction loss, Double lr, String optimizer) {
        Map<String, String> labels = optimizer == null ? Map.of() : Map.of("optimizer", optimizer);
        return runEvents(
                steps,
                i -> StepEvent.of("run", i, loss.applyAsDouble(i))
                        .withLearningRate(lr)
                        .withLabels(labels));
    }

    private List<AlertEvent> runEvents(int steps, IntFunction<StepEvent> event) {
        RunState s = detector.newState();
        List<AlertEvent> out = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            out.addAll(detector.onStep(s, event.apply(i), Instant.EPOCH, Instant.EPOCH)
                    .alerts());
        }
        return out;
    }

    private static List<AlertEvent> firing(List<AlertEvent> alerts, AlertType type) {
        return alerts.stream()
                .filter(a -> a.type() == type && a.status() == AlertStatus.FIRING)
                .toList();
    }

    private static List<AlertEvent> firing(List<AlertEvent> alerts) {
        return alerts.stream().filter(a -> a.status() == AlertStatus.FIRING).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dl4j-sgd-lr0.3-overflow.tsv", "dl4j-sgd-lr0.3-frozen.tsv"})
    void shouldCatchTheRecordedLeNetRunWhoseWeightsOverflowedWithoutEverTurningNaN(String resource) {
        // LeNet, plain SGD 0.3, 60 steps through the real trainer: 3 steps at ~21, the weights overflow (Inf with
        // ND4J's norm, 1e32 with exact norms) and freeze, then chance level with small gradients; never NaN
        BenchRun rec = RealCurves.recorded(new RealCurves.Recorded(resource, true, 2));
        List<AlertEvent> alerts = runEvents(rec.events().size(), rec.events()::get);
        List<AlertEvent> grad = firing(alerts, AlertType.GRADIENT_EXPLOSION);
        assertThat(grad).hasSize(1);
        assertThat(grad.get(0).step()).isLessThanOrEqualTo(8);
        assertThat(grad.get(0).diagnosis().cause()).isEqualTo(Cause.LEARNING_RATE_TOO_HIGH);
        List<AlertEvent> collapsed = firing(alerts, AlertType.TRAINING_COLLAPSED);
        assertThat(collapsed)
                .as("stuck at chance level with dead units after the blow-up")
                .hasSize(1);
        assertThat(collapsed.get(0).onsetStep()).isLessThanOrEqualTo(5);
        assertThat(firing(alerts, AlertType.LOSS_NON_FINITE)).isEmpty();
    }

    // ------------------------------------------------------------------ per-step losses of a ReLU CNN in PyTorch

    @Test
    void shouldAlertWithin15StepsOfTheJumpOnTheTablesDivergingCurvesFromTheLossAlone() {
        for (RealCurves.TableCurve c : RealCurves.MEASURED_TABLE.subList(0, 3)) {
            double[] loss = c.exact();
            List<AlertEvent> alerts = run(loss.length, i -> loss[i], null, null);
            assertThat(firing(alerts)).as(c.name()).isNotEmpty();
            assertThat(firing(alerts).get(0).step()).as(c.name()).isBetween(1L, 1L + 15);
        }
    }

    @Test
    void shouldNeverAlertOnTheTablesHealthyNoisyCurve() {
        double[] loss = RealCurves.MEASURED_TABLE.get(3).exact();
        assertThat(run(loss.length, i -> loss[i], 0.5, "sgd")).isEmpty();
        assertThat(run(loss.length, i -> loss[i], null, null)).isEmpty();
    }

    @Test
    void shouldDiagnoseTheAdamLr1BlowUpAsLearningRateTooHighWithTheNumbers() {
        double[] loss = RealCurves.MEASURED_TABLE.get(0).exact();
        List<AlertEvent> alerts = run(loss.length, i -> loss[i], 1.0, "adam");
        AlertEvent a = firing(alerts).get(0);
        assertThat(a.type()).isEqualTo(AlertType.LOSS_BLOWUP);
        assertThat(a.onsetStep()).isEqualTo(1);
        assertThat(a.diagnosis().cause()).isEqualTo(Cause.LEARNING_RATE_TOO_HIGH);
        assertThat(a.diagnosis().evidence()).anyMatch(s -> s.contains("jumped") && s.contains("2.31"));
        assertThat(a.diagnosis().evidence()).anyMatch(s -> s.contains("learning rate 1.00") && s.contains("adam"));
        assertThat(a.diagnosis().suggestion()).contains("0.100").contains("1e-3");
        // and then the run is dead at chance level
        assertThat(firing(alerts, AlertType.TRAINING_COLLAPSED)).hasSize(1);
    }
}
