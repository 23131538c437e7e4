package io.losswatch.bench;

import static io.losswatch.bench.Series.firstFiring;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SpikeDetectionTest {
    private final SpikeDetection callback = new SpikeDetection();

    @Test
    void shouldFireOnALossThreeTimesTheRunningMeanAsLightningsOwnTestDoes() {
        // Lightning's test: losses 1/i, i = 1..9, with 3 at index 4; the mean of 1, 1/2, 1/3, 1/4 is
        // 0.5208, so a loss from 3 x 0.5208 = 1.5625 on is a spike
        assertThat(firstFiring(callback, Series.losses(9, i -> i == 4 ? 3.0 : 1.0 / (i + 1))))
                .isEqualTo(4);
        assertThat(firstFiring(callback, Series.losses(9, i -> i == 4 ? 1.563 : 1.0 / (i + 1))))
                .isEqualTo(4);
        assertThat(firstFiring(callback, Series.losses(9, i -> i == 4 ? 1.562 : 1.0 / (i + 1))))
                .isEqualTo(-1);
    }

    @Test
    void shouldKeepOnlyTheLastTenLossesInTheRunningMean() {
        // ten 1s after ten 100s: the mean at step 20 is 1, so 3.01 is a spike; were the 100s still in
        // it, it would not be
        assertThat(firstFiring(callback, Series.losses(30, i -> i < 10 ? 100.0 : i == 20 ? 3.01 : 1.0)))
                .isEqualTo(20);
        assertThat(firstFiring(callback, Series.losses(30, i -> i < 10 ? 100.0 : i == 20 ? 2.99 : 1.0)))
                .isEqualTo(-1);
    }

    @Test
    void shouldFireOnASteepRiseButNotOnASteepFall() {
        // a jump from 1 to 1000 is a spike; halving from 1000 each step is far from the mean, but downwards
        assertThat(firstFiring(callback, Series.losses(30, i -> i < 10 ? 1.0 : 1000.0 / Math.pow(2, i - 10))))
                .isEqualTo(10);
        assertThat(firstFiring(callback, Series.losses(30, i -> 1000.0 / Math.pow(2, i))))
                .isEqualTo(-1);
    }

    @Test
    void shouldFireOnANonFiniteLossAfterTheWarmUpBatch() {
        assertThat(firstFiring(callback, Series.losses(30, i -> i == 7 ? Double.NaN : 1.0)))
                .isEqualTo(7);
        assertThat(firstFiring(callback, Series.losses(30, i -> i == 7 ? Double.POSITIVE_INFINITY : 1.0)))
                .isEqualTo(7);
    }

    @Test
    void shouldNotJudgeTheFirstBatch() {
        // warmup=1: batch 0 is only kept, even when it is NaN (which then poisons the mean for good)
        assertThat(firstFiring(callback, Series.losses(30, i -> i == 0 ? Double.NaN : 1.0)))
                .isEqualTo(-1);
        assertThat(firstFiring(callback, Series.losses(30, i -> i == 1 ? Double.NaN : 1.0)))
                .isEqualTo(1);
    }
}
