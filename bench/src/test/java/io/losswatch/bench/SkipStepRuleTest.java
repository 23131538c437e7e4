package io.losswatch.bench;

import static io.losswatch.bench.Series.firstFiring;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SkipStepRuleTest {
    private final SkipStepRule rule = SkipStepRule.defaults();

    /** 1, 3, 1, 3, ...: over an even count n, mean 2 and sample sd sqrt(n / (n - 1)). */
    private static double alternating(int i) {
        return i % 2 == 0 ? 1.0 : 3.0;
    }

    @Test
    void shouldSkipALossJustAboveTheMeanPlusSixSampleDeviationsOfThe128StepsBefore() {
        // at step 128 the window is steps 0-127: mean 2, sd sqrt(128/127) = 1.003929, limit 8.02357
        assertThat(firstFiring(rule, Series.losses(140, i -> i == 128 ? 8.024 : alternating(i))))
                .isEqualTo(128);
        assertThat(firstFiring(rule, Series.losses(140, i -> i == 128 ? 8.023 : alternating(i))))
                .isEqualTo(-1);
    }

    @Test
    void shouldForgetLossesOlderThanTheWindow() {
        // 100s at steps 0-71 would widen the spread far beyond a loss of 8.024 if the window held them
        assertThat(firstFiring(rule, Series.losses(230, i -> i < 72 ? 100.0 : i == 200 ? 8.024 : alternating(i))))
                .isEqualTo(200);
    }

    @Test
    void shouldNotActBefore64LossesHaveBeenSeen() {
        // step 62 is the 63rd loss: too early, however high; step 63 is the 64th
        assertThat(firstFiring(rule, Series.losses(100, i -> i == 62 ? 1e6 : alternating(i))))
                .isEqualTo(-1);
        assertThat(firstFiring(rule, Series.losses(100, i -> i == 63 ? 1e6 : alternating(i))))
                .isEqualTo(63);
    }

    @Test
    void shouldSkipOnAGradientNormOutOfLineWhileTheLossIsSteady() {
        BenchRun run = Series.run(140, SkipStepRuleTest::alternating, i -> i == 130 ? 8.024 : alternating(i));
        assertThat(firstFiring(rule, run)).isEqualTo(130);
        BenchRun under = Series.run(140, SkipStepRuleTest::alternating, i -> i == 130 ? 8.02 : alternating(i));
        assertThat(firstFiring(rule, under)).isEqualTo(-1);
    }

    @Test
    void shouldSkipANanLossOnceItActs() {
        assertThat(firstFiring(rule, Series.losses(100, i -> i == 80 ? Double.NaN : alternating(i))))
                .isEqualTo(80);
    }
}
