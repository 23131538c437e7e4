package io.losswatch.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The evidence an alert carries says what the data did: rises as rises, falls as falls, the values that were. */
class EvidenceTest {
    private final Detector detector = new Detector(DetectorConfig.defaults());

    @Test
    void shouldNameTheRateTheLearningRateRoseToWhenTheScheduleLoweredItSince() {
        // a rate raised 100x at step 300 to a level never used, halved at 305 by a decay; the loss grows from 300
        Random r = new Random(4);
        RunState s = detector.newState();
        List<AlertEvent> alerts = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            double lr = i < 300 ? 0.001 : i < 305 ? 0.1 : 0.05;
            double loss = (i < 300 ? 1.0 : Math.exp(0.05 * (i - 300))) * Math.exp(0.02 * r.nextGaussian());
            StepEvent e = StepEvent.of("run", i, loss).withLearningRate(lr);
            alerts.addAll(detector.onStep(s, e, Instant.EPOCH, Instant.EPOCH).alerts());
        }
        AlertEvent growth = alerts.stream()
                .filter(a -> a.type() == AlertType.LOSS_EXPONENTIAL_GROWTH && a.status() == AlertStatus.FIRING)
                .findFirst()
                .orElseThrow();
        assertThat(growth.step()).isGreaterThan(305);
        assertThat(growth.diagnosis().evidence())
                .contains("the learning rate rose to 0.100, a level the run never had, at step 300");
    }

    @Test
    void shouldWriteFactorsAndSharesThatReadTheRightWay() {
        assertThat(Diagnoser.factor(Math.log(25), "above", "below")).isEqualTo("25x above");
        assertThat(Diagnoser.factor(Math.log(0.5), "above", "below")).isEqualTo("2.0x below");
        assertThat(Diagnoser.factor(Math.log(1.4), "below", "above")).isEqualTo("1.4x below");
        ValidationTracker v = new ValidationTracker(DetectorConfig.defaults().validation());
        v.trainAtBestLn = Math.log(1.0);
        v.trainLn = Math.log(0.8);
        v.trainToleranceLn = Math.log(1.03);
        assertThat(Diagnoser.trainingSince(v)).isEqualTo("training loss fell 20% over the same steps");
        v.trainLn = Math.log(1.02);
        assertThat(Diagnoser.trainingSince(v))
                .isEqualTo("training loss held: 2.0% above its level then, within its noise (3.0%)");
    }
}
