package io.losswatch.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ValidationTrackerTest {

    private static final DetectorConfig.Validation C = DetectorConfig.defaults().validation(); // w = 0.35, 4 points
    private static final double MIN_RISE = Math.log(C.minRise()); // ln 1.08 = 0.0770
    private static final double FLAT = ValidationTracker.LN_TRAIN_FLAT;

    @Test
    void shouldTakeTheMinimumFromACentredMeanOfFiveWithoutTheLagOfTheAverage() {
        // ln(val_loss) every 100 steps: a V, down 0.1 a validation to -1.1 at step 400, up 0.1 a validation after.
        // Its second differences are 0 but at the vertex (0.2): their median absolute deviation, the noise, is 0.
        double[] v = {-0.8, -0.9, -1.0, -1.1, -1.0, -0.9, -0.8, -0.7};
        ValidationTracker t = new ValidationTracker(C);
        boolean[] rising = new boolean[v.length];
        for (int i = 0; i < v.length; i++) {
            rising[i] = t.onValidation(
                    100L * (i + 1), v[i], -0.01 * i, () -> FLAT, false, false, Double.NaN, false, C, MIN_RISE);
            if (i == 3) {
                assertThat(t.bestLn).isInfinite(); // fewer than 5 validations: no minimum yet
            }
            if (i == 4) { // mean of steps 100-500, centred on 300: -0.96
                assertThat(t.bestLn).isCloseTo(-0.96, within(1e-12));
                assertThat(t.bestStep).isEqualTo(300);
                assertThat(t.sinceBest).isEqualTo(2);
            }
        }
        // lowest mean: steps 200-600, centred on 400, the vertex: (-0.9 - 1.0 - 1.1 - 1.0 - 0.9) / 5
        assertThat(t.bestLn).isCloseTo(-0.98, within(1e-12));
        assertThat(t.bestStep).isEqualTo(400);
        assertThat(t.sinceBest).isEqualTo(4); // 500, 600 (when it was known), 700, 800
        assertThat(t.rawNoise()).isCloseTo(0, within(1e-12)); // 0 but for rounding
        // the exponential average bottoms out at step 500 (-0.977), a validation late, and was at -0.9503,
        // -0.8977, -0.8285 at 600-800: 800 is the first validation 4 after the minimum, and it has risen
        // 0.1515 > ln 1.08 + 3 x 0 noise. (The average's own minimum would have waited for step 900.)
        assertThat(t.smoothLn).isCloseTo(-0.828516, within(1e-6));
        // 700 already: three validations each above the one before, 0.3 (1.35x) up from the vertex without
        // noise, the training loss falling: the climb test
        assertThat(rising).containsExactly(false, false, false, false, false, false, true, true);
        assertThat(t.far).isFalse(); // 800 is the smoothed test's
    }

    @Test
    void shouldMeasureTheNoiseOverAllTheValidationsKept() {
        // second differences +g, -g, ... for the 9 oldest, then 5 of 0: all 16 validations give a median of 0 and
        // a median absolute deviation of g (9 of 14 deviations are g); the newest 8 alone (+g and five 0) give 0
        double g = 0.1;
        double[] d2 = {g, -g, g, -g, g, -g, g, -g, g, 0, 0, 0, 0, 0};
        double[] y = new double[16];
        for (int i = 0; i < d2.length; i++) {
            y[i + 2] = 2 * y[i + 1] - y[i] + d2[i];
        }
        ValidationTracker t = new ValidationTracker(C);
        for (int i = 0; i < y.length; i++) {
            t.onValidation(10L * (i + 1), y[i], 0, () -> FLAT, false, false, Double.NaN, false, C, MIN_RISE);
        }
        assertThat(t.values.curveNoiseNewest(8)).isCloseTo(0, within(1e-12));
        assertThat(t.rawNoise()).isCloseTo(1.4826 * g / Math.sqrt(6), within(1e-12));
    }

    @Test
    void shouldMeasureTheNoiseOverTheNewest32ValidationsNotOnly16() {
        // 32 validations whose 30 second differences are +g, -g, ... (16 of them, the oldest) then 14 of 0.
        // All 30: sorted 8 x -g, 14 x 0, 8 x +g, median 0; deviations 16 x g and 14 x 0, median g.
        // The newest 16 validations alone (14 differences, all 0) would read a noise of 0: any rise an alarm.
        double g = 0.1;
        double[] y = new double[32];
        for (int i = 0; i < 30; i++) {
            double d2 = i < 16 ? (i % 2 == 0 ? g : -g) : 0;
            y[i + 2] = 2 * y[i + 1] - y[i] + d2;
        }
        ValidationTracker t = new ValidationTracker(C);
        for (int i = 0; i < y.length; i++) {
            t.onValidation(10L * (i + 1), y[i], 0, () -> FLAT, false, false, Double.NaN, false, C, MIN_RISE);
        }
        assertThat(t.values.size()).isEqualTo(ValidationTracker.NOISE_POINTS);
        assertThat(t.values.curveNoiseNewest(16)).isCloseTo(0, within(1e-12));
        assertThat(t.rawNoise()).isCloseTo(1.4826 * g / Math.sqrt(6), within(1e-12));
        // a 33rd validation pushes the oldest out: 30 differences again, the oldest +g gone (7 x +g, 8 x -g, 15 x 0):
        // median 0, deviations 15 x g and 15 x 0, the 16th smallest is g
        t.onValidation(330, 2 * y[31] - y[30], 0, () -> FLAT, false, false, Double.NaN, false, C, MIN_RISE);
        assertThat(t.values.size()).isEqualTo(32);
        assertThat(t.rawNoise()).isCloseTo(1.4826 * g / Math.sqrt(6), within(1e-12));
    }

    @Test
    void shouldReportTheFitOfTheNewestPointsOnly() {
        // 8 validations falling 0.01 a step, then 16 rising 0.002 a step from the last one: the fit reported with
        // the alert is of the newest 16 (C.points()), a slope of exactly 0.002, not of all 24 kept
        ValidationTracker t = new ValidationTracker(C);
        double y = 0;
        for (int i = 1; i <= 24; i++) {
            y += i <= 8 ? -0.1 : 0.02;
            t.onValidation(10L * i, y, 0, () -> FLAT, false, false, Double.NaN, false, C, MIN_RISE);
        }
        assertThat(t.values.size()).isEqualTo(24);
        assertThat(t.fit().n()).isEqualTo(16);
        assertThat(t.fit().slope()).isCloseTo(0.002, within(1e-12));
        assertThat(t.fit().r2()).isCloseTo(1, within(1e-12));
    }

    @Test
    void shouldKeepItsStateThroughSerialization() {
        ValidationTracker t = new ValidationTracker(C);
        double[] v = {-0.8, -0.9, -1.0, -1.1, -1.0, -0.9};
        for (int i = 0; i < v.length; i++) {
            t.onValidation(100L * (i + 1), v[i], -0.01 * i, () -> FLAT, false, false, Double.NaN, false, C, MIN_RISE);
        }
        io.losswatch.detector.codec.StateWriter w = new io.losswatch.detector.codec.StateWriter(64);
        t.writeTo(w, 600);
        ValidationTracker r = new ValidationTracker(C);
        io.losswatch.detector.codec.StateReader in = new io.losswatch.detector.codec.StateReader(w.toByteArray(), 0);
        r.readFrom(in, 600);
        assertThat(in.hasRemaining()).isFalse();
        assertThat(r.bestLn).isEqualTo(t.bestLn);
        assertThat(r.bestStep).isEqualTo(t.bestStep);
        assertThat(r.sinceBest).isEqualTo(t.sinceBest);
        assertThat(r.smoothLn).isEqualTo(t.smoothLn);
        assertThat(r.onValidation(700, -0.8, -0.07, () -> FLAT, false, false, Double.NaN, false, C, MIN_RISE))
                .isEqualTo(t.onValidation(700, -0.8, -0.07, () -> FLAT, false, false, Double.NaN, false, C, MIN_RISE));
        assertThat(r.bestLn).isEqualTo(t.bestLn);
    }

    @Test
    void shouldNotLetATrainingLossNearZeroThatRoseManyFoldHideAValidationJump() {
        // validations 0.5, 0.5, 0.5, then 3.0 and 3.2 (6x up: ln 1.79); the training loss's lowest of late
        // 1e-4, now 0.01 (100x: ln 4.6, more than half the validation's rise)
        double low = Math.log(1e-4);
        assertThat(jumpWithTrainingAt(Math.log(0.01), low).far).isTrue(); // still under half of 0.5
        ValidationTracker t = jumpWithTrainingAt(Math.log(0.01), low);
        assertThat(t.trainFarBelow).isTrue();
        assertThat(t.sudden).isTrue();
        // at 0.3 the training loss is above half the lowest validation: it followed, not the validation's own jump
        assertThat(jumpWithTrainingAt(Math.log(0.3), low).far).isFalse();
        // and from a low of 0.2, 0.3 is only 1.5x up: the validation's own jump again
        assertThat(jumpWithTrainingAt(Math.log(0.3), Math.log(0.2)).far).isTrue();
    }

    private static ValidationTracker jumpWithTrainingAt(double trainLn, double trainLowestLn) {
        double[] v = {0.5, 0.5, 0.5, 3.0, 3.2};
        ValidationTracker t = new ValidationTracker(C);
        for (int i = 0; i < v.length; i++) {
            t.onValidation(
                    50L * (i + 1),
                    Math.log(v[i]),
                    i < 3 ? trainLowestLn : trainLn,
                    () -> FLAT,
                    false,
                    false,
                    trainLowestLn,
                    false,
                    C,
                    MIN_RISE);
        }
        return t;
    }
}
