package io.losswatch.bench;

import java.util.Locale;

/**
 * A W&B-style z-score alert, modelled on W&B Automations' run-metric z-score event
 * ({@code wandb.automations.MetricZScoreFilter}, {@code window=30}, {@code threshold=3.0}), watching
 * the loss for an increase: it fires when the loss is more than {@code threshold} sample standard
 * deviations above the mean of the {@code window} losses before it. It needs a full window. How
 * W&B computes the window server-side is not published; here it is the previous losses, not the
 * current one. A non-finite loss has no z-score and is skipped.
 */
final class ZScoreTrigger extends FirstStepBaseline {
    static final int WINDOW = 30;
    static final double THRESHOLD = 3.0;

    @Override
    public String name() {
        return String.format(Locale.ROOT, "W&B-style z-score > %.0f (%d steps)", THRESHOLD, WINDOW);
    }

    @Override
    String type() {
        return "z-score";
    }

    @Override
    Watch watch(int steps) {
        RollingWindow previous = new RollingWindow(WINDOW);
        return (index, e) -> {
            double loss = e.loss();
            if (!Double.isFinite(loss)) {
                return false;
            }
            boolean fires = previous.full() && loss - previous.mean() > THRESHOLD * previous.sampleSd();
            previous.add(loss);
            return fires;
        };
    }
}
