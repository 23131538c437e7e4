package io.losswatch.detector.fit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RobustStatsTest {

    @Test
    void shouldSelectBitForBitWhatSortingPutsAtEachIndex() {
        SplittableRandom rnd = new SplittableRandom(7);
        double[] pool = {-0.0, 0.0, 1.0, -1.0, 2.5, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY};
        for (int trial = 0; trial < 3000; trial++) {
            int n = 1 + rnd.nextInt(80);
            double[] v = new double[n];
            int kind = trial % 4;
            for (int i = 0; i < n; i++) {
                v[i] = switch (kind) {
                    case 0 -> rnd.nextGaussian();
                    case 1 -> pool[rnd.nextInt(pool.length)]; // many ties and both zeros
                    case 2 -> i + rnd.nextInt(3); // nearly sorted
                    default -> rnd.nextInt(5) == 0 ? Double.NaN : rnd.nextGaussian();
                };
            }
            double[] sorted = v.clone();
            Arrays.sort(sorted);
            int k = rnd.nextInt(n);
            double got = RobustStats.select(v.clone(), k);
            assertThat(Double.doubleToRawLongBits(got))
                    .as("n=%d k=%d kind=%d", n, k, kind)
                    .isEqualTo(Double.doubleToRawLongBits(sorted[k]));
        }
    }

    @Test
    void shouldGiveTheMedianAndTheScaledMadOfTheValues() {
        assertThat(RobustStats.median(new double[] {5, 1, 4, 2})).isEqualTo(2); // the lower of an even count
        assertThat(RobustStats.median(new double[] {3, 1, 2})).isEqualTo(2);
        assertThat(RobustStats.median(new double[0])).isNaN();
        // deviations from the upper median 3: 2, 1, 0, 1, 7 -> their upper median 1
        assertThat(RobustStats.mad(new double[] {1, 2, 3, 4, 10})).isEqualTo(RobustStats.MAD_TO_SD);
    }
}
