package io.losswatch.bench;

import io.losswatch.events.StepEvent;
import java.util.Locale;

/**
 * llm-foundry's {@code KillLossSpike} callback. Its window holds the last {@code W} losses, W being
 * a twentieth of the training's length and at least 100 steps; nothing is judged before the window
 * is full. A loss at least {@code multiplier} times the window's mean is an outlier; more than
 * {@code patience} outliers in a row is a loss spike. Otherwise, from step {@code 2W} on, the run is
 * stopped for high losses when half the window is above the cap: the highest loss of the first full
 * window, at most 10. A NaN loss is neither an outlier nor above the cap, and once in the window it
 * makes the mean NaN: the callback does not fire on NaN.
 */
final class KillLossSpike extends FirstStepBaseline {
    static final int MIN_WINDOW = 100;
    /** The window is this share of the training's steps, at least {@link #MIN_WINDOW}. */
    static final double WINDOW_FRACTION = 0.05;

    static final int PATIENCE = 4;
    static final double OUTLIER_MULTIPLIER = 2;
    static final double MAX_LOSS_CAP = 10;

    @Override
    public String name() {
        return String.format(
                Locale.ROOT,
                "llm-foundry KillLossSpike (%.0fx mean, %d+ steps; cap %.0f)",
                OUTLIER_MULTIPLIER,
                PATIENCE + 1,
                MAX_LOSS_CAP);
    }

    @Override
    String type() {
        return "kill-loss-spike";
    }

    /**
     * The window for a training of {@code steps} steps. The run's recorded length stands for the
     * length the trainer was set to run; Python's {@code round} rounds halves to even.
     */
    static int windowFor(int steps) {
        return Math.max(MIN_WINDOW, (int) Math.rint(steps * WINDOW_FRACTION));
    }

    @Override
    Watch watch(int steps) {
        int size = windowFor(steps);
        RollingWindow losses = new RollingWindow(size);
        return new Watch() {
            int outliers;
            double cap;
            boolean capSet;

            @Override
            public boolean holds(int index, StepEvent e) {
                boolean fires = false;
                if (losses.full()) {
                    if (!capSet) {
                        cap = Math.min(losses.max(), MAX_LOSS_CAP);
                        capSet = true;
                    }
                    fires = spike(e.loss(), losses.mean()) || highLosses(index + 1, size);
                }
                losses.add(e.loss());
                return fires;
            }

            private boolean spike(double loss, double mean) {
                if (loss >= mean * OUTLIER_MULTIPLIER) {
                    outliers++;
                    return outliers > PATIENCE;
                }
                outliers = 0;
                return false;
            }

            /** {@code batch} counts the steps done, this one included, as the trainer's batch counter does. */
            private boolean highLosses(int batch, int size) {
                return batch >= 2 * size && losses.countAbove(cap) >= size / 2.0;
            }
        };
    }
}
