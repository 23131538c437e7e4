package io.losswatch.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Per-epoch series: one point an epoch (a Keras {@code CSVLogger} file), tens in a run. The curves are
 * shaped like real Keras runs: each epoch's loss is the mean of its batches, so it moves smoothly, by
 * 1%-3% of noise from epoch to epoch.
 */
class EpochSeriesTest {
    private final Detector detector = new Detector(DetectorConfig.defaults());

    /** Training and validation loss of each epoch; {@code val} may be null. */
    private List<AlertEvent> epochs(double[] loss, double[] val, double[] lr) {
        RunState s = detector.newState();
        List<AlertEvent> out = new ArrayList<>();
        for (int ep = 0; ep < loss.length; ep++) {
            StepEvent e = StepEvent.of("keras", ep, loss[ep]).withEpoch(ep);
            if (val != null) {
                e = e.withValLoss(val[ep]);
            }
            if (lr != null) {
                e = e.withLearningRate(lr[ep]);
            }
            out.addAll(detector.onStep(s, e, Instant.EPOCH, Instant.EPOCH).alerts());
        }
        return out;
    }

    private static List<AlertEvent> firing(List<AlertEvent> alerts) {
        return alerts.stream().filter(a -> a.status() == AlertStatus.FIRING).toList();
    }

    private static List<AlertEvent> firing(List<AlertEvent> alerts, AlertType type) {
        return firing(alerts).stream().filter(a -> a.type() == type).toList();
    }

    /** A healthy descent: from {@code start} towards {@code floor} with time constant {@code tau} epochs. */
    private static double descent(int ep, double start, double floor, double tau) {
        return floor + (start - floor) * Math.exp(-ep / tau);
    }

    /**
     * Trains well to {@code onset}, then grows by {@code rate} (ln) an epoch: a learning rate that was
     * fine early and is too high once the loss surface sharpens. Validation follows 10% above.
     */
    private static double[][] diverging(int epochs, int onset, double rate, double noise, long seed) {
        Random r = new Random(seed);
        double[] loss = new double[epochs];
        double[] val = new double[epochs];
        for (int ep = 0; ep < epochs; ep++) {
            double clean = ep <= onset
                    ? descent(ep, 1.6, 0.6, 4)
                    : descent(onset, 1.6, 0.6, 4) * Math.exp(rate * (ep - onset));
            loss[ep] = clean * Math.exp(noise * r.nextGaussian());
            val[ep] = 1.1 * clean * Math.exp(noise * r.nextGaussian());
        }
        return new double[][] {loss, val};
    }

    @Test
    void shouldAlertWithinFiveEpochsOfTheOnsetOnAPerEpochLossThatKeepsClimbing() {
        // growth from 7% to 40% an epoch (doubling in 10 to 2 epochs) under 1%-3% noise an epoch, 100 seeds each
        int runs = 0, within = 0;
        for (double rate : new double[] {0.07, 0.1, 0.2, 0.4}) {
            for (double noise : new double[] {0.01, 0.02, 0.03}) {
                for (long seed = 1; seed <= 100; seed++) {
                    double[][] run = diverging(30, 8, rate, noise, seed);
                    List<AlertEvent> alerts = epochs(run[0], run[1], null);
                    String what = "rate " + rate + ", noise " + noise + ", seed " + seed;
                    List<AlertEvent> growth = firing(alerts, AlertType.LOSS_EXPONENTIAL_GROWTH);
                    assertThat(growth).as(what).isNotEmpty();
                    AlertEvent first = growth.get(0);
                    assertThat(first.onsetStep()).as(what).isBetween(6L, 10L);
                    assertThat(first.step()).as(what + ": not before the climb").isGreaterThan(8);
                    assertThat(firing(alerts, AlertType.VALIDATION_DIVERGENCE))
                            .as(what)
                            .isEmpty();
                    runs++;
                    if (first.step() - 8 <= 5) {
                        within++;
                    }
                }
            }
        }
        // the misses are the slowest growth under the most noise: 7% an epoch under 3%
        assertThat(within).as("alerted within 5 epochs, of " + runs).isGreaterThanOrEqualTo(runs * 97 / 100);
    }

    @Test
    void shouldAlertWithinFiveEpochsOnALossThatClimbsFiveToSevenPercentAnEpoch() {
        // the training loss fell to 0.75 and then climbed to 1.51 over ten epochs and on: the validation
        // loss climbed with it; what fires is the growth of the training loss, not overfitting
        double[] loss = {
            1.42, 1.11, 0.96, 0.87, 0.81, 0.77, 0.75, 0.78, 0.82, 0.86, 0.92, 0.97, 1.04, 1.11, 1.19, 1.30, 1.41, 1.51,
            1.68, 1.92, 2.31, 2.93, 3.96, 5.71, 8.9, 14.6, 24.8, 44.1, 71.2
        };
        double[] val = new double[loss.length];
        for (int ep = 0; ep < loss.length; ep++) {
            val[ep] = 1.08 * loss[ep] + 0.05 * Math.sin(ep);
        }
        List<AlertEvent> alerts = epochs(loss, val, null);
        List<AlertEvent> growth = firing(alerts, AlertType.LOSS_EXPONENTIAL_GROWTH);
        assertThat(growth).isNotEmpty();
        assertThat(growth.get(0).onsetStep()).isEqualTo(6);
        assertThat(growth.get(0).step()).isLessThanOrEqualTo(11);
        assertThat(firing(alerts, AlertType.VALIDATION_DIVERGENCE)).isEmpty();
    }

    @Test
    void shouldNotCallOverfittingAValidationLossThatClimbsWithTheTrainingLoss() {
        // a slow climb of the training loss (3% an epoch, too slow to pass the growth test within the run),
        // the validation loss climbing with it: the run is not overfitting
        Random r = new Random(3);
        double[] loss = new double[30];
        double[] val = new double[30];
        for (int ep = 0; ep < 30; ep++) {
            double clean = ep <= 10 ? descent(ep, 1.5, 0.7, 3) : descent(10, 1.5, 0.7, 3) * Math.exp(0.03 * (ep - 10));
            loss[ep] = clean * Math.exp(0.01 * r.nextGaussian());
            val[ep] = (ep <= 8 ? 1.15 * clean : 1.15 * descent(8, 1.5, 0.7, 3) * Math.exp(0.05 * (ep - 8)))
                    * Math.exp(0.01 * r.nextGaussian());
        }
        List<AlertEvent> alerts = epochs(loss, val, null);
        assertThat(firing(alerts, AlertType.VALIDATION_DIVERGENCE)).isEmpty();
    }

    @Test
    void shouldCallAValidationLossThatClimbsWhileTheTrainingLossFallsOverfittingWithTrueEvidence() {
        Random r = new Random(5);
        double[] loss = new double[40];
        double[] val = new double[40];
        for (int ep = 0; ep < 40; ep++) {
            loss[ep] = descent(ep, 1.5, 0.05, 8) * Math.exp(0.01 * r.nextGaussian());
            double v = ep <= 10 ? descent(ep, 1.4, 0.6, 3) : descent(10, 1.4, 0.6, 3) * Math.exp(0.04 * (ep - 10));
            val[ep] = v * Math.exp(0.01 * r.nextGaussian());
        }
        List<AlertEvent> alerts = epochs(loss, val, null);
        List<AlertEvent> v = firing(alerts, AlertType.VALIDATION_DIVERGENCE);
        assertThat(v).hasSize(1);
        assertThat(v.get(0).onsetStep()).isBetween(8L, 12L);
        assertThat(v.get(0).step() - v.get(0).onsetStep()).isLessThanOrEqualTo(8);
        assertThat(v.get(0).diagnosis().cause()).isEqualTo(Cause.INSUFFICIENT_REGULARIZATION);
        List<String> evidence = v.get(0).diagnosis().evidence();
        // the training loss fell between the validation minimum and the alert: by how much, as a positive share
        long at = v.get(0).step(), from = v.get(0).onsetStep();
        assertThat(evidence)
                .anySatisfy(s -> assertThat(s).matches("training loss fell \\d+(\\.\\d)?% over the same steps"));
        assertThat(evidence).noneMatch(s -> s.contains("-"));
        assertThat(loss[(int) at]).isLessThan(loss[(int) from]);
        assertThat(firing(alerts, AlertType.LOSS_EXPONENTIAL_GROWTH)).isEmpty();
    }

    /**
     * Healthy per-epoch curves of one seed: a descent into a noisy plateau, cosine annealing with warm
     * restarts, a bump after a raised learning rate, a memorised training set near zero, a warm-up,
     * the restarts' learning rate, and a validation loss.
     */
    static double[][] healthy(long seed) {
        Random r = new Random(seed);
        int epochs = 40;
        double noise = 0.01 + 0.03 * r.nextDouble();
        double start = 0.8 + 1.5 * r.nextDouble();
        double floor = start * (0.05 + 0.4 * r.nextDouble());
        double tau = 2 + 10 * r.nextDouble();
        double[] plateau = new double[epochs], restarts = new double[epochs], bump = new double[epochs];
        double[] nearZero = new double[epochs], warmup = new double[epochs];
        double[] restartLr = new double[epochs], val = new double[epochs];
        int bumpAt = 10 + r.nextInt(20);
        for (int ep = 0; ep < epochs; ep++) {
            double e = noise * r.nextGaussian();
            plateau[ep] = descent(ep, start, floor, tau) * Math.exp(e);
            // warm restarts every 10 epochs: the epoch after a restart is up to 60% higher, then the loss falls
            int inCycle = ep % 10;
            double jump = ep >= 10 && inCycle == 0 ? 1.2 + 0.4 * r.nextDouble() : 1;
            double cycle = jump * (1 + 0.08 * Math.cos(Math.PI * inCycle / 10));
            restarts[ep] = descent(ep, start, floor, tau) * cycle * Math.exp(e);
            restartLr[ep] = 0.05 * (1 + Math.cos(Math.PI * inCycle / 10)) / 2 + 1e-4;
            // the learning rate raised at one epoch: the loss is 10%-25% up for two epochs, then trains on
            double up = ep == bumpAt ? 1.1 + 0.15 * r.nextDouble() : ep == bumpAt + 1 ? 1.08 : 1;
            bump[ep] = descent(ep, start, floor, tau) * up * Math.exp(e);
            // a memorised training set: the loss near zero, where an epoch's mean moves by 10%-20% of itself
            nearZero[ep] = descent(ep, start, 0.002, 3) * Math.exp((0.1 + 0.1 * r.nextDouble()) * r.nextGaussian());
            // a rate warmed up over the first epochs: the loss holds, rises up to 10% at the peak rate, then falls
            double hump = ep < 8 ? 1 + 0.1 * Math.sin(Math.PI * ep / 8) : 1;
            warmup[ep] = descent(Math.max(0, ep - 4), start, floor, tau) * hump * Math.exp(e);
            val[ep] = 1.1 * descent(ep, start, 1.3 * floor, tau) * Math.exp(noise * r.nextGaussian());
        }
        return new double[][] {plateau, restarts, bump, nearZero, warmup, restartLr, val};
    }

    @Test
    void shouldNotAlertOnHealthyPerEpochRuns() {
        int runs = 0, alarms = 0;
        for (long seed = 1; seed <= 1000; seed++) {
            double[][] h = healthy(seed);
            assertThat(firing(epochs(h[0], h[6], null)))
                    .as("plateau, seed " + seed)
                    .isEmpty();
            assertThat(firing(epochs(h[1], null, h[5])))
                    .as("restarts with lr, seed " + seed)
                    .isEmpty();
            assertThat(firing(epochs(h[4], h[6], null)))
                    .as("warm-up, seed " + seed)
                    .isEmpty();
            runs += 3;
            // one epoch's jump, a bump, a near-zero loss: the few alarms are where the noise lines up with them
            for (double[][] run : new double[][][] {{h[1], null}, {h[2], h[6]}, {h[3], null}}) {
                runs++;
                if (!firing(epochs(run[0], run[1], null)).isEmpty()) {
                    alarms++;
                }
            }
        }
        assertThat(alarms).as("false alarms in " + runs + " healthy runs").isLessThanOrEqualTo(runs / 500);
    }

    @Test
    void shouldJudgeOnlySeriesWithOnePointAnEpochByEpoch() {
        RunState perStep = detector.newState();
        RunState perEpoch = detector.newState();
        for (int i = 0; i < 10; i++) {
            // a trainer that logs every step with the epoch it is in, and one that logs each epoch's mean
            detector.onStep(perStep, StepEvent.of("a", i, 1).withEpoch(i / 4), Instant.EPOCH, Instant.EPOCH);
            detector.onStep(perEpoch, StepEvent.of("b", 390L * i, 1).withEpoch(i), Instant.EPOCH, Instant.EPOCH);
        }
        assertThat(perStep.facts.perEpoch).isFalse();
        assertThat(perEpoch.facts.perEpoch).isTrue();
        RunState restored = detector.newState();
        restored.facts.readFrom(new StateReader(bytes(perEpoch), 0));
        assertThat(restored.facts.perEpoch).isTrue();
        assertThat(restored.facts.lastEpoch).isEqualTo(9);
    }

    private static byte[] bytes(RunState s) {
        StateWriter w = new StateWriter(64);
        s.facts.writeTo(w);
        return w.toByteArray();
    }
}
