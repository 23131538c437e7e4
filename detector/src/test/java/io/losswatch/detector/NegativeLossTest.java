package io.losswatch.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * Losses that go below zero, drawn at random: those that settle on a floor under 15x the size of their
 * first loss (a negative log-likelihood, a critic's loss) never alert, however slowly they settle; those
 * that fall at one pace without a floor are blow-ups once 20x down.
 */
class NegativeLossTest {
    private static final int CURVES = 300;

    private final Detector detector = new Detector(DetectorConfig.defaults());

    @Test
    void shouldLeaveEveryLossThatSettlesBelowZeroAlone() {
        for (int k = 0; k < CURVES; k++) {
            SplittableRandom r = new SplittableRandom(7_000 + k);
            double first = Math.exp(Math.log(0.5) + r.nextDouble() * Math.log(20)); // 0.5 to 10
            double floor = -first * Math.exp(Math.log(0.5) + r.nextDouble() * Math.log(30)); // 0.5x to 15x down
            double tau = Math.exp(Math.log(20) + r.nextDouble() * Math.log(150)); // 20 to 3,000 steps
            double sd = (0.01 + 0.09 * r.nextDouble()) * first;
            int steps = 500 + r.nextInt(2500);
            double[] noise = noise(r, steps, sd);
            List<AlertEvent> alerts = run(steps, i -> floor + (first - floor) * Math.exp(-i / tau) + noise[i]);
            assertThat(alerts)
                    .as("first %.3g, floor %.3g, over %.0f steps", first, floor, tau)
                    .isEmpty();
        }
    }

    @Test
    void shouldCallEveryLossFallingAtOnePaceABlowUpOnce20xDown() {
        for (int k = 0; k < CURVES; k++) {
            SplittableRandom r = new SplittableRandom(9_000 + k);
            double first = Math.exp(Math.log(0.5) + r.nextDouble() * Math.log(20));
            double pace = first * Math.exp(Math.log(0.05) + r.nextDouble() * Math.log(20)); // 0.05x to 1x a step
            double sd = (0.01 + 0.09 * r.nextDouble()) * first;
            double[] noise = noise(r, 3000, sd);
            long belowZero = (long) Math.ceil(first / pace);
            IntToDoubleFunction loss = i -> first - pace * i + noise[i];
            List<AlertEvent> alerts = run(3000, loss);
            double size = Math.max(Math.abs(loss.applyAsDouble(0)), Math.abs(loss.applyAsDouble(1)));
            double ref = Math.max(size, Math.abs(loss.applyAsDouble(2))); // the first 3 losses' largest size
            String what = String.format("first %.3g, falling %.3g a step", first, pace);
            assertThat(alerts).as(what).isNotEmpty();
            AlertEvent a = alerts.get(0);
            assertThat(a.type()).as(what).isEqualTo(AlertType.LOSS_BLOWUP);
            // where it went below zero for good: the noise moves the crossing by a few of its own steps
            long late = 2 + (long) Math.ceil(3 * sd / pace);
            assertThat(a.onsetStep()).as(what).isBetween(belowZero - late, belowZero + late);
            // once 20x the first losses' size, or at the checkpoint 64 steps below zero where the pace is first
            // judged, whichever comes later
            long twentyX = (long) Math.ceil((first + 20 * ref) / pace);
            assertThat(-loss.applyAsDouble((int) a.step()) / ref).as(what).isGreaterThanOrEqualTo(20.0);
            assertThat(a.step()).as(what).isLessThanOrEqualTo(Math.max(twentyX, belowZero + 64) + 5);
        }
    }

    private List<AlertEvent> run(int steps, IntToDoubleFunction loss) {
        RunState s = detector.newState();
        List<AlertEvent> firing = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            for (AlertEvent a : detector.onStep(
                            s, StepEvent.of("run", i, loss.applyAsDouble(i)), Instant.EPOCH, Instant.EPOCH)
                    .alerts()) {
                if (a.status() == AlertStatus.FIRING) {
                    firing.add(a);
                }
            }
        }
        return firing;
    }

    private static double[] noise(SplittableRandom r, int n, double sd) {
        double[] e = new double[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller: SplittableRandom has no Gaussian of its own on Java 17
            e[i] = sd * Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
        }
        return e;
    }
}
