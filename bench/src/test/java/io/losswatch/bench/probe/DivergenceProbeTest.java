package io.losswatch.bench.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.losswatch.trainer.Architecture;
import io.losswatch.trainer.LeNet;
import org.junit.jupiter.api.Test;

class DivergenceProbeTest {

    @Test
    void shouldFindTheStretchWhereLnLossClimbsInAStraightLine() {
        double[] lnLoss = new double[40];
        for (int i = 0; i < 40; i++) {
            lnLoss[i] = i < 10 ? Math.log(2.0) + 0.01 * Math.sin(i) : Math.log(2.0) + 0.3 * (i - 10);
        }

        DivergenceProbe.Fit growth = DivergenceProbe.longestGrowth(lnLoss, 0.05, 0.9);

        assertThat(growth.to()).isEqualTo(40);
        assertThat(growth.from()).isLessThanOrEqualTo(10);
        assertThat(DivergenceProbe.fit(lnLoss, 10, 40).slope()).isCloseTo(0.3, within(1e-12));
        assertThat(DivergenceProbe.fit(lnLoss, 10, 40).r2()).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void shouldParseProbeConfigs() {
        DivergenceProbe.Probe probe = DivergenceProbe.Probe.parse("sgd:0.1:linear:s7:x1.05", 42);

        assertThat(probe.architecture()).isEqualTo(Architecture.LINEAR);
        assertThat(probe.spec().loss()).isEqualTo(LeNet.Loss.MSE);
        assertThat(probe.spec().seed()).isEqualTo(7);
        assertThat(probe.spec().lrGrowthPerStep()).isEqualTo(1.05);
        assertThat(DivergenceProbe.Probe.parse("adam:1.0:ce-logits", 42).spec().loss())
                .isEqualTo(LeNet.Loss.CE_LOGITS);
    }
}
