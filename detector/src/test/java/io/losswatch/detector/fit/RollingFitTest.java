package io.losswatch.detector.fit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.losswatch.detector.codec.StateReader;
import io.losswatch.detector.codec.StateWriter;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RollingFitTest {

    @Test
    void shouldRecoverTheExactRateOfAPureExponential() {
        RollingFit f = new RollingFit(16);
        for (int step = 0; step < 100; step++) {
            f.add(step, Math.log(0.5 * Math.exp(0.081 * step)));
        }
        LinearFit fit = f.fit();
        assertThat(fit.n()).isEqualTo(16);
        assertThat(fit.slope()).isCloseTo(0.081, within(1e-9));
        assertThat(fit.r2()).isCloseTo(1.0, within(1e-9));
        assertThat(fit.doublingSteps()).isCloseTo(Math.log(2) / 0.081, within(1e-6));
        assertThat(fit.fittedLast()).isCloseTo(Math.log(0.5) + 0.081 * 99, within(1e-6));
    }

    @Test
    void shouldStayExactAtHugeStepNumbers() {
        RollingFit f = new RollingFit(32);
        long start = 900_000_000_000L;
        for (int i = 0; i < 10_000; i++) {
            f.add(start + 3L * i, 2.0 - 0.01 * i);
        }
        assertThat(f.fit().slope()).isCloseTo(-0.01 / 3, within(1e-9));
        assertThat(f.fit().r2()).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void shouldGiveZeroR2ForAFlatSeriesAndNoGrowth() {
        RollingFit f = new RollingFit(8);
        for (int i = 0; i < 20; i++) {
            f.add(i, Math.log(2.3));
        }
        assertThat(f.fit().slope()).isCloseTo(0, within(1e-12));
        assertThat(f.fit().r2()).isZero();
        assertThat(f.fit().doublingSteps()).isInfinite();
    }

    @Test
    void shouldMatchAFreshLeastSquaresFitAfterManyUpdates() {
        Random r = new Random(7);
        RollingFit f = new RollingFit(20);
        double[] ys = new double[500];
        for (int i = 0; i < 500; i++) {
            ys[i] = Math.sin(i / 7.0) + r.nextGaussian();
            f.add(i, ys[i]);
        }
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int i = 480; i < 500; i++) {
            sx += i;
            sy += ys[i];
            sxx += (double) i * i;
            sxy += i * ys[i];
        }
        double slope = (20 * sxy - sx * sy) / (20 * sxx - sx * sx);
        assertThat(f.fit().slope()).isCloseTo(slope, within(1e-9));
    }

    @Test
    void shouldSurviveARoundTripThroughBytes() {
        RollingFit f = new RollingFit(10);
        for (int i = 0; i < 25; i++) {
            f.add(i * 2L, i * 0.1);
        }
        RollingFit g = new RollingFit(10);
        RollingFitCodec.read(g, new StateReader(bytes(f), 0));
        assertThat(g.fit()).isEqualTo(f.fit());
        assertThat(g.newestStep()).isEqualTo(48);
    }

    private static byte[] bytes(RollingFit f) {
        StateWriter w = new StateWriter(16);
        RollingFitCodec.write(f, w);
        return w.toByteArray();
    }

    @Test
    void shouldKeepUnevenlySpacedAndHugeStepsExactlyAcrossBytes() {
        RollingFit f = new RollingFit(16, 8);
        long step = 1L << 40;
        Random r = new Random(9);
        for (int i = 0; i < 40; i++) {
            step += 1 + r.nextInt(i < 20 ? 3 : 100_000_000);
            f.add(step, r.nextGaussian());
        }
        RollingFit g = new RollingFit(16, 8);
        RollingFitCodec.read(g, new StateReader(bytes(f), 0));
        for (int i = 0; i < f.size(); i++) {
            assertThat(g.stepAt(i)).isEqualTo(f.stepAt(i));
        }
        f.add(step + 7, 0.25);
        g.add(step + 7, 0.25);
        assertThat(g.fitNewest(8)).isEqualTo(f.fitNewest(8));
        assertThat(g.fit()).isEqualTo(f.fit());
    }

    @Test
    void shouldFitNestedWindowsOfTheNewestPointsExactlyAsAFreshFit() {
        Random r = new Random(11);
        RollingFit f = new RollingFit(64, 16, 8);
        double[] ys = new double[300];
        for (int i = 0; i < ys.length; i++) {
            ys[i] = 0.02 * i + r.nextGaussian();
            f.add(1000 + i, ys[i]);
        }
        for (int n : new int[] {8, 16, 64}) {
            double sx = 0, sy = 0, sxx = 0, sxy = 0;
            for (int i = ys.length - n; i < ys.length; i++) {
                sx += i;
                sy += ys[i];
                sxx += (double) i * i;
                sxy += i * ys[i];
            }
            double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
            assertThat(f.fitNewest(n).slope()).as("slope over the newest %d", n).isCloseTo(slope, within(1e-9));
            assertThat(f.fitNewest(n).n()).isEqualTo(n);
            assertThat(f.meanNewest(n)).isCloseTo(sy / n, within(1e-9));
        }
    }

    @Test
    void shouldKeepEveryWindowBitForBitAcrossBytesInAboutNineBytesAPoint() {
        Random r = new Random(3);
        RollingFit f = new RollingFit(64, 16, 8);
        for (int i = 0; i < 101; i++) {
            f.add(5_000_000L + i, r.nextGaussian());
        }
        byte[] bytes = bytes(f);
        RollingFit g = new RollingFit(64, 16, 8);
        StateReader in = new StateReader(bytes, 0);
        RollingFitCodec.read(g, in);
        assertThat(in.hasRemaining()).isFalse();
        for (int n : new int[] {8, 16, 64}) {
            assertThat(g.fitNewest(n)).isEqualTo(f.fitNewest(n));
        }
        // the same next point gives the same fits: the running sums came across exactly
        f.add(5_000_101L, 0.5);
        g.add(5_000_101L, 0.5);
        assertThat(g.fitNewest(16)).isEqualTo(f.fitNewest(16));
        // values in their 8 bytes, evenly spaced steps in one difference, and of the running sums only those
        // of y (the sums of x and x^2 are whole numbers, recomputed from the steps)
        assertThat(bytes).hasSizeLessThan(64 * 8 + 3 * 3 * 8 + 20);
    }

    @Test
    void shouldMeasureNoiseButNotTrendFromDifferences() {
        RollingFit line = new RollingFit(64);
        RollingFit noisy = new RollingFit(64);
        Random r = new Random(5);
        for (int i = 0; i < 64; i++) {
            line.add(i, 3 + 0.2 * i);
            noisy.add(i, 3 + 0.2 * i + 0.3 * r.nextGaussian());
        }
        assertThat(line.diffNoise(1)).isCloseTo(0, within(1e-12));
        assertThat(line.diffNoise(8)).isCloseTo(0, within(1e-12));
        assertThat(line.curveNoise()).isCloseTo(0, within(1e-12));
        assertThat(noisy.diffNoise(1)).isBetween(0.2, 0.4);
        assertThat(noisy.diffNoise(8)).isBetween(0.2, 0.4);
        assertThat(noisy.curveNoise()).isBetween(0.2, 0.4);
    }

    @Test
    void shouldAverageBlocksAndFitTheirMeans() {
        BlockFit f = new BlockFit(4, 8);
        int closed = 0;
        for (int i = 0; i < 40; i++) {
            closed += f.add(i, 0.05 * i + ((i & 1) == 0 ? 1 : -1)) ? 1 : 0; // a zig-zag that every block cancels
        }
        assertThat(closed).isEqualTo(10);
        assertThat(f.blocks().size()).isEqualTo(8);
        assertThat(f.blocks().fit().slope()).isCloseTo(0.05, within(1e-12));
        assertThat(f.blocks().fit().r2()).isCloseTo(1, within(1e-12));
    }

    @Test
    void shouldGiveTheMedianAndMinimumOfTheNewestPoints() {
        RollingFit f = new RollingFit(8);
        double[] v = {5, 1, 9, 3, 7, 2, 8, 6, 4, 10};
        for (int i = 0; i < v.length; i++) {
            f.add(i, v[i]);
        }
        // the ring holds 9 3 7 2 8 6 4 10; the newest five are 2 8 6 4 10
        assertThat(f.minNewest(5)).isEqualTo(2);
        assertThat(f.medianNewest(5)).isEqualTo(6);
        assertThat(f.medianNewest(4)).isEqualTo(6); // 8 6 4 10: the lower middle
        assertThat(f.countFrom(6)).isEqualTo(4);
    }

    @Test
    void shouldTakeTheMedianOfAnyRangeCountedFromTheOldest() {
        RollingFit f = new RollingFit(8, 4);
        double[] v = {5, 1, 9, 3, 7, 2, 8, 6, 4, 10};
        for (int i = 0; i < v.length; i++) {
            f.add(i, v[i]);
        }
        // the ring holds 9 3 7 2 8 6 4 10 (oldest first)
        assertThat(f.medianOf(0, 3)).isEqualTo(7); // 9 3 7
        assertThat(f.medianOf(2, 6)).isEqualTo(6); // 7 2 8 6: the lower middle
        assertThat(f.medianOf(4, 4)).isNaN();
    }

    @Test
    void shouldNeverPutTheUpperBoundOfTheMedianBelowTheMedian() {
        RollingFit f = new RollingFit(8, 4);
        for (int i = 0; i < 4; i++) {
            f.add(i, i == 3 ? 10 : 0); // 0 0 0 10: mean 2.5, sd 4.33, median 0
        }
        assertThat(f.medianUpperBoundNewest(4))
                .isCloseTo(2.5 + Math.sqrt(18.75), org.assertj.core.api.Assertions.within(1e-5));
        // random windows: in shouldNeverPutTheBoundsFromTheSumsOnTheWrongSide
    }

    @Test
    void shouldNeverPutTheBoundsFromTheSumsOnTheWrongSide() {
        java.util.Random r = new java.util.Random(11);
        RollingFit w = new RollingFit(64, 16, 8);
        for (int step = 0; step < 20_000; step++) {
            // smooth stretches, noise, huge values and sign changes, as ln(loss) and ln(grad_norm) do
            double y = step % 997 < 500
                    ? 60 * Math.sin(step / 50.0) + r.nextGaussian() * (step % 7 == 0 ? 5 : 1e-3)
                    : -3 + 1e-9 * r.nextGaussian();
            w.add(step, y);
            for (int n : new int[] {64, 16, 8}) {
                assertThat(w.minLowerBoundNewest(n))
                        .as("step %d, window %d", step, n)
                        .isLessThanOrEqualTo(w.minNewest(n));
                assertThat(w.medianUpperBoundNewest(n))
                        .as("step %d, window %d", step, n)
                        .isGreaterThanOrEqualTo(w.medianNewest(n));
            }
        }
        assertThat(w.minLowerBoundNewest(32)).isEqualTo(w.minNewest(32)); // no sums for 32 points: exact
    }
}
