package io.losswatch.bench;

import java.util.Locale;

/**
 * OLMo-core's {@code SkipStepOptimizer}: a step is skipped unless its loss is at most the mean plus
 * {@code sigma} sample standard deviations of the losses of the previous {@code window} steps, and
 * likewise its gradient norm. It acts only once {@code window / 2} losses (the current one
 * included) have been seen. Any NaN fails the comparison, so a NaN loss, or one in the window, skips
 * the step. Where the events carry no gradient norm, the loss part alone decides.
 */
final class SkipStepRule extends FirstStepBaseline {
    /** {@code rolling_interval_length}'s default. */
    static final int DEFAULT_WINDOW = 128;
    /** {@code sigma_factor}'s default. */
    static final double DEFAULT_SIGMA = 6;

    private final int window;
    private final double sigma;

    SkipStepRule(int window, double sigma) {
        this.window = window;
        this.sigma = sigma;
    }

    static SkipStepRule defaults() {
        return new SkipStepRule(DEFAULT_WINDOW, DEFAULT_SIGMA);
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "OLMo-core skip step (%.0f sd, %d steps)", sigma, window);
    }

    @Override
    String type() {
        return "skip-step";
    }

    @Override
    Watch watch(int steps) {
        RollingWindow losses = new RollingWindow(window);
        RollingWindow grads = new RollingWindow(window);
        int minSeen = Math.max(2, window / 2);
        return (index, e) -> {
            boolean skip = index + 1 >= minSeen
                    && (!proceeds(e.loss(), losses) || (e.gradNorm() != null && !proceeds(e.gradNorm(), grads)));
            losses.add(e.loss());
            if (e.gradNorm() != null) {
                grads.add(e.gradNorm());
            }
            return skip;
        };
    }

    /** {@code x - mean <= sigma * sd}: false when any of them is NaN, as in the optimizer. */
    private boolean proceeds(double x, RollingWindow w) {
        if (w.size() < 2) {
            return true; // no spread to measure yet: a gradient norm that starts late in the run
        }
        return x - w.mean() <= sigma * w.sampleSd();
    }
}
