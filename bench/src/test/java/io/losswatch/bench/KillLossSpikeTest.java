package io.losswatch.bench;

import static io.losswatch.bench.Series.firstFiring;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KillLossSpikeTest {
    private final KillLossSpike callback = new KillLossSpike();

    @Test
    void shouldFireOnTheFifthOutlierInARow() {
        // losses of 10 from step 150 on, against a window mean of 1.0-1.36: outliers at 150, 151, ...
        assertThat(firstFiring(callback, Series.losses(300, i -> i < 150 ? 1.0 : 10.0)))
                .isEqualTo(154);
    }

    @Test
    void shouldNotFireOnFourOutliersInARow() {
        assertThat(firstFiring(callback, Series.losses(300, i -> i >= 150 && i < 154 ? 10.0 : 1.0)))
                .isEqualTo(-1);
    }

    @Test
    void shouldCountALossOfExactlyTwiceTheMeanAsAnOutlier() {
        // four clear outliers, then at step 154 exactly twice the mean of steps 54-153 (96 ones, 4 tens)
        double twice = 2 * 136.0 / 100;
        assertThat(firstFiring(callback, Series.losses(300, i -> fifthAt154(i, twice))))
                .isEqualTo(154);
        assertThat(firstFiring(callback, Series.losses(300, i -> fifthAt154(i, twice * 0.999))))
                .isEqualTo(-1);
    }

    private static double fifthAt154(int i, double fifth) {
        return i >= 150 && i < 154 ? 10.0 : i == 154 ? fifth : 1.0;
    }

    @Test
    void shouldJudgeNothingBeforeItsWindowIsFull() {
        // a spike at steps 50-60: the window of 100 is not full until step 100
        assertThat(firstFiring(callback, Series.losses(300, i -> i >= 50 && i <= 60 ? 10.0 : 1.0)))
                .isEqualTo(-1);
    }

    @Test
    void shouldSizeItsWindowToATwentiethOfTheTrainingWithAMinimumOf100() {
        assertThat(KillLossSpike.windowFor(300)).isEqualTo(100);
        assertThat(KillLossSpike.windowFor(2010)).isEqualTo(100); // 100.5 rounds to even
        assertThat(KillLossSpike.windowFor(2030)).isEqualTo(102);
        assertThat(KillLossSpike.windowFor(4000)).isEqualTo(200);
        // in a 4,000-step training the window fills at step 200: a spike at 150-160 goes unjudged
        assertThat(firstFiring(callback, Series.losses(4000, i -> i >= 150 && i <= 160 ? 10.0 : 1.0)))
                .isEqualTo(-1);
        assertThat(firstFiring(callback, Series.losses(300, i -> i >= 150 && i <= 160 ? 10.0 : 1.0)))
                .isEqualTo(154);
    }

    @Test
    void shouldStopForHighLossesWhenHalfTheWindowIsAboveTheFirstWindowsHighestFromStep200() {
        // the first window's highest loss is 1.0, the cap; 1.5 is never 2x the mean. Steps 100-149
        // put 50 losses above the cap in the window by step 150, but the check waits for the 200th
        // step (index 199)
        assertThat(firstFiring(callback, Series.losses(300, i -> i < 100 ? 1.0 : 1.5)))
                .isEqualTo(199);
        // under the cap of 10 the first window would give, had its losses been higher
        assertThat(firstFiring(callback, Series.losses(300, i -> i < 100 ? 12.0 : 9.5)))
                .isEqualTo(-1);
        assertThat(firstFiring(callback, Series.losses(300, i -> i < 100 ? 12.0 : 10.5)))
                .isEqualTo(199);
    }

    @Test
    void shouldNotFireOnANanLoss() {
        assertThat(firstFiring(callback, Series.losses(300, i -> i < 150 ? 1.0 : Double.NaN)))
                .isEqualTo(-1);
    }
}
