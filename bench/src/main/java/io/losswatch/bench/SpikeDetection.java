package io.losswatch.bench;

import io.losswatch.events.StepEvent;
import java.util.Locale;

/**
 * Lightning Fabric's {@code SpikeDetection} ({@code lightning.fabric.utilities.spike}, also a
 * Lightning callback) with its defaults: {@code mode="min"}, {@code window=10}, {@code warmup=1},
 * {@code atol=None}, {@code rtol=2.0}, {@code finite_only=True}. From the {@code warmup}-th batch on,
 * a non-finite loss is a spike; a loss no higher than the last one kept is not; any other is a spike
 * when it differs from the running mean of the last {@code window} losses kept by at least
 * {@code rtol} times that mean (so, for a positive loss, when it is at least 3x the mean). A loss
 * that is not a spike is kept. The batch index is the step's position in the run.
 */
final class SpikeDetection extends FirstStepBaseline {
    static final int WINDOW = 10;
    static final int WARMUP = 1;
    static final double RTOL = 2.0;

    @Override
    public String name() {
        return String.format(Locale.ROOT, "Fabric SpikeDetection (rtol %.0f, %d steps)", RTOL, WINDOW);
    }

    @Override
    String type() {
        return "spike";
    }

    @Override
    Watch watch(int steps) {
        RollingWindow kept = new RollingWindow(WINDOW);
        return new Watch() {
            double last; // the callback's last_val starts at 0.0

            @Override
            public boolean holds(int index, StepEvent e) {
                double loss = e.loss();
                if (index >= WARMUP && isSpike(loss, kept.mean())) {
                    return true;
                }
                kept.add(loss);
                last = loss;
                return false;
            }

            private boolean isSpike(double loss, double mean) {
                if (!Double.isFinite(loss)) {
                    return true;
                }
                if (loss - last <= 0) {
                    return false; // an improvement on the last loss kept ("min" mode)
                }
                return Math.abs(loss - mean) >= Math.abs(RTOL * mean);
            }
        };
    }
}
