package io.losswatch.monitor.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

class DetectorTest {
    private final Detector detector = new Detector(DetectorConfig.defaults());

    private List<AlertEvent> run(int steps, IntToDoubleFunction loss, Double lr, String optimizer) {
        RunState s = detector.newState();
        List<AlertEvent> out = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            StepEvent e = StepEvent.of("run", i, loss.applyAsDouble(i)).withLearningRate(lr)
                    .withLabels(optimizer == null ? Map.of() : Map.of("optimizer", optimizer));
            Detector.Result r = detector.onStep(s, e, Instant.EPOCH, Instant.EPOCH);
            out.addAll(r.alerts());
        }
        return out;
    }

    private static List<AlertEvent> firing(List<AlertEvent> alerts, AlertType type) {
        return alerts.stream().filter(a -> a.type() == type && a.status() == AlertStatus.FIRING).toList();
    }

    @Test
    void shouldAlertOnceOnExponentialGrowthWithOnsetAndForecast() {
        // healthy decay for 100 steps, then doubling every 10 steps
        List<AlertEvent> alerts = run(200, i -> i < 100 ? 2.0 * Math.exp(-0.005 * i)
                : 2.0 * Math.exp(-0.5) * Math.exp(0.0693 * (i - 100)), 0.5, "sgd");
        List<AlertEvent> growth = firing(alerts, AlertType.LOSS_EXPONENTIAL_GROWTH);
        assertThat(growth).hasSize(1);
        AlertEvent a = growth.get(0);
        assertThat(a.onsetStep()).isBetween(95L, 102L);
        assertThat(a.step()).isLessThan(125);
        assertThat(a.fit().doublingSteps()).isBetween(9.0, 11.0);
        assertThat(a.fit().r2()).isGreaterThan(0.99);
        assertThat(a.forecast().stepsToOverflow()).isPositive().isFinite();
        assertThat(a.alertId()).isEqualTo("run/LOSS_EXPONENTIAL_GROWTH/" + a.onsetStep());
    }

    @Test
    void shouldNotAlertOnASingleSpike() {
        List<AlertEvent> alerts = run(300, i -> i == 150 ? 50.0 : 1.0 + 0.5 * Math.exp(-i / 50.0), 0.001, "adam");
        assertThat(firing(alerts, AlertType.LOSS_EXPONENTIAL_GROWTH)).isEmpty();
    }

    @Test
    void shouldNotAlertOnNoisyHealthyDecay() {
        Random r = new Random(42);
        List<AlertEvent> alerts = run(2000, i -> 2.3 * Math.exp(-i / 400.0) * Math.exp(0.3 * r.nextGaussian()) + 0.05,
                0.001, "adam");
        assertThat(alerts).isEmpty();
    }

    @Test
    void shouldAlertImmediatelyOnNonFiniteLossAndOnlyOnce() {
        List<AlertEvent> alerts = run(60, i -> i >= 40 ? Double.NaN : 1.0, 0.1, "sgd");
        List<AlertEvent> nf = firing(alerts, AlertType.LOSS_NON_FINITE);
        assertThat(nf).hasSize(1);
        assertThat(nf.get(0).step()).isEqualTo(40);
        assertThat(nf.get(0).onsetStep()).isEqualTo(40);
    }

    @Test
    void shouldResolveWhenGrowthHasClearedForAWhile() {
        List<AlertEvent> alerts = run(400, i -> i < 60 ? Math.exp(0.1 * i) : Math.exp(6) * Math.exp(-0.002 * (i - 60)),
                0.5, "sgd");
        assertThat(firing(alerts, AlertType.LOSS_EXPONENTIAL_GROWTH)).hasSize(1);
        List<AlertEvent> resolved = alerts.stream().filter(a -> a.status() == AlertStatus.RESOLVED).toList();
        assertThat(resolved).hasSize(1);
        assertThat(resolved.get(0).alertId()).isEqualTo(firing(alerts, AlertType.LOSS_EXPONENTIAL_GROWTH).get(0).alertId());
    }

    @Test
    void shouldDiagnoseGrowthFromTheFirstStepsAsLearningRateTooHigh() {
        List<AlertEvent> alerts = run(60, i -> 2.3 * Math.exp(0.15 * i), 1.0, "adam");
        AlertEvent a = firing(alerts, AlertType.LOSS_EXPONENTIAL_GROWTH).get(0);
        assertThat(a.diagnosis().cause()).isEqualTo(Cause.LEARNING_RATE_TOO_HIGH);
        assertThat(a.diagnosis().evidence()).isNotEmpty();
        assertThat(a.diagnosis().suggestion()).contains("1e-3");
    }

    @Test
    void shouldIgnoreRepeatedAndOlderStepsAndStartANewAttemptAtStepZero() {
        RunState s = detector.newState();
        assertThat(detector.onStep(s, StepEvent.of("r", 5, 1), Instant.EPOCH, Instant.EPOCH).outcome())
                .isEqualTo(Detector.Outcome.ACCEPTED);
        assertThat(detector.onStep(s, StepEvent.of("r", 5, 1), Instant.EPOCH, Instant.EPOCH).outcome())
                .isEqualTo(Detector.Outcome.STALE_STEP);
        assertThat(detector.onStep(s, StepEvent.of("r", 3, 1), Instant.EPOCH, Instant.EPOCH).outcome())
                .isEqualTo(Detector.Outcome.STALE_STEP);
        assertThat(detector.onStep(s, StepEvent.of("r", 0, 1), Instant.EPOCH, Instant.EPOCH).outcome())
                .isEqualTo(Detector.Outcome.NEW_ATTEMPT);
        assertThat(s.attempt()).isEqualTo(1);
    }

    @Test
    void shouldKeepItsDecisionsAcrossASerializationRoundTrip() {
        RunState s = detector.newState();
        List<AlertEvent> straight = new ArrayList<>();
        List<AlertEvent> viaBytes = new ArrayList<>();
        RunState t = detector.newState();
        for (int i = 0; i < 120; i++) {
            StepEvent e = StepEvent.of("r", i, i < 50 ? 1.0 : Math.exp(0.08 * (i - 50)));
            straight.addAll(detector.onStep(s, e, Instant.EPOCH, Instant.EPOCH).alerts());
            t = RunState.fromBytes(t.toBytes(), detector.config());
            viaBytes.addAll(detector.onStep(t, e, Instant.EPOCH, Instant.EPOCH).alerts());
        }
        assertThat(straight).isNotEmpty();
        assertThat(viaBytes).isEqualTo(straight);
    }
}
