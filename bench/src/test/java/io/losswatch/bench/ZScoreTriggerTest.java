package io.losswatch.bench;

import static io.losswatch.bench.Series.firstFiring;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ZScoreTriggerTest {
    private final ZScoreTrigger trigger = new ZScoreTrigger();

    /** 1, 3, 1, 3, ...: over 30 values, mean 2 and sample sd sqrt(30 / 29) = 1.01709. */
    private static double alternating(int i) {
        return i % 2 == 0 ? 1.0 : 3.0;
    }

    @Test
    void shouldFireOnALossJustMoreThanThreeSampleDeviationsAboveTheMeanOfTheThirtyBefore() {
        // limit 2 + 3 x 1.01709 = 5.0513
        assertThat(firstFiring(trigger, Series.losses(60, i -> i == 30 ? 5.052 : alternating(i))))
                .isEqualTo(30);
        assertThat(firstFiring(trigger, Series.losses(60, i -> i == 30 ? 5.051 : alternating(i))))
                .isEqualTo(-1);
    }

    @Test
    void shouldWaitForAFullWindow() {
        assertThat(firstFiring(trigger, Series.losses(60, i -> i == 29 ? 1e6 : alternating(i))))
                .isEqualTo(-1);
    }

    @Test
    void shouldForgetLossesOlderThanTheWindow() {
        // a 100 at step 19 is out of the window of step 50 (steps 20-49)
        assertThat(firstFiring(trigger, Series.losses(60, i -> i == 19 ? 100.0 : i == 50 ? 5.052 : alternating(i))))
                .isEqualTo(50);
    }

    @Test
    void shouldIgnoreAFallAndANonFiniteLoss() {
        assertThat(firstFiring(trigger, Series.losses(60, i -> i == 40 ? -1e6 : alternating(i))))
                .isEqualTo(-1);
        assertThat(firstFiring(trigger, Series.losses(60, i -> i == 40 ? Double.NaN : alternating(i))))
                .isEqualTo(-1);
    }
}
