package io.losswatch.monitor.detect;

import io.losswatch.events.AlertEvent.Diagnosis;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.StepEvent;
import io.losswatch.monitor.fit.LinearFit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Names the likely cause of a divergence from what the step events carry. Each rule adds the
 * numbers it used to the evidence; where the evidence is thin the answer is {@link Cause#UNKNOWN}.
 */
final class Diagnoser {
    static final double HIGH_UPDATE_RATIO = 0.1;
    static final int EARLY_STEPS = 20;

    Diagnosis diagnose(AlertType type, RunState s, StepEvent e, LinearFit fit, long onset) {
        List<String> ev = new ArrayList<>();
        if (fit != null && fit.slope() > 0) {
            ev.add(String.format(Locale.ROOT, "loss doubled every %.1f steps over the last %d steps (R^2 %.2f)",
                    fit.doublingSteps(), fit.n(), fit.r2()));
        }
        if (type == AlertType.LOSS_NON_FINITE) {
            ev.add("loss was " + e.loss() + " at step " + e.step());
        }
        boolean lrKnown = !Double.isNaN(s.lastLearningRate);
        if (!Double.isNaN(s.recentMaxUpdateRatio) && s.recentMaxUpdateRatio > HIGH_UPDATE_RATIO) {
            ev.add(String.format(Locale.ROOT, "update_ratio %.3g > %.1f", s.recentMaxUpdateRatio, HIGH_UPDATE_RATIO));
            return lr(0.8, ev, s);
        }
        if (s.learningRateRiseStep >= 0 && onset >= s.learningRateRiseStep - 5) {
            ev.add(String.format(Locale.ROOT, "learning rate rose to %.3g at step %d, just before the growth at %d",
                    s.lastLearningRate, s.learningRateRiseStep, onset));
            return lr(0.75, ev, s);
        }
        double gradSlope = s.longGrad.size() >= 8 ? s.longGrad.fit().slope() : Double.NaN;
        if (!Double.isNaN(gradSlope) && gradSlope > 0 && fit != null && fit.slope() > 0) {
            ev.add(String.format(Locale.ROOT, "grad_norm doubled every %.0f steps", Math.log(2) / gradSlope));
        }
        if (lrKnown && onset - s.firstStep <= EARLY_STEPS) {
            ev.add(String.format(Locale.ROOT, "growth began at step %d, within %d steps of the start, at learning rate %.3g",
                    onset, EARLY_STEPS, s.lastLearningRate));
            return lr(0.6, ev, s);
        }
        if (lrKnown && isPlainSgd(s.optimizer)) {
            ev.add("optimizer is plain " + s.optimizer + " (no momentum or adaptive step)");
            return new Diagnosis(Cause.UNSTABLE_OPTIMIZER, 0.5, ev,
                    "Switch to Adam (lr 1e-3) or SGD with momentum 0.9 and a smaller learning rate; clip gradients.");
        }
        if (!Double.isNaN(gradSlope) && gradSlope <= 0 && fit != null && fit.slope() > 0) {
            ev.add(String.format(Locale.ROOT, "grad_norm did not grow (rate %.3g per step) while the loss did", gradSlope));
            return new Diagnosis(Cause.DATA_ISSUE, 0.5, ev,
                    "Check the input pipeline: shuffling, label corruption, a changed data source, NaN or huge inputs.");
        }
        return new Diagnosis(Cause.UNKNOWN, 0.3, ev,
                "Lower the learning rate, clip gradients, and check the last data batches for bad values.");
    }

    private static boolean isPlainSgd(String optimizer) {
        String o = optimizer.toLowerCase(Locale.ROOT);
        return o.equals("sgd");
    }

    private static Diagnosis lr(double confidence, List<String> ev, RunState s) {
        String opt = s.optimizer.toLowerCase(Locale.ROOT);
        String hint = opt.contains("adam") ? " (Adam: try 1e-3)" : "";
        String lr = Double.isNaN(s.lastLearningRate) ? ""
                : String.format(Locale.ROOT, " from %.3g to about %.3g", s.lastLearningRate, s.lastLearningRate / 10);
        return new Diagnosis(Cause.LEARNING_RATE_TOO_HIGH, confidence, ev,
                "Lower the learning rate about 10x" + lr + hint + ", add warm-up, clip gradients.");
    }
}
