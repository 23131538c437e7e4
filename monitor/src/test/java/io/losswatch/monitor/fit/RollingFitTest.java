package io.losswatch.monitor.fit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
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
            sx += i; sy += ys[i]; sxx += (double) i * i; sxy += i * ys[i];
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
        ByteBuffer b = ByteBuffer.allocate(f.serializedSize());
        f.writeTo(b);
        b.flip();
        RollingFit g = new RollingFit(10);
        g.readFrom(b);
        assertThat(g.fit()).isEqualTo(f.fit());
        assertThat(g.newestStep()).isEqualTo(48);
    }
}
