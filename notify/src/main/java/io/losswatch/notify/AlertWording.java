package io.losswatch.notify;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The words people read in a notification: what is wrong with the run, since when, how fast. */
public final class AlertWording {
    private AlertWording() {}

    /**
     * A growth fit's numbers (doubling time, R^2) are shown only from this R^2 on: below it the loss is
     * not following the fitted line, and a doubling time from it would mislead.
     */
    public static final double MEANINGFUL_FIT_R2 = 0.8;

    private static final Pattern JUMP = Pattern.compile("(jumped|rose) (\\d+(?:\\.\\d+)?)x");
    /** How the detector's evidence ends for a loss below zero that falls on and on. */
    private static final String WITHOUT_LOWER_BOUND = "without a lower bound";

    /**
     * What is wrong with the run, with the size of a blow-up when the evidence gives it: "jumped 17x", "rose
     * 4x"; a loss falling below zero on and on said as such.
     */
    public static String what(AlertEvent a) {
        if (a.type() == AlertType.LOSS_BLOWUP && a.diagnosis() != null) {
            for (String ev : a.diagnosis().evidence()) {
                if (ev.endsWith(WITHOUT_LOWER_BOUND)) {
                    return "the loss fell below zero without a lower bound";
                }
                Matcher m = JUMP.matcher(ev);
                if (m.find()) {
                    return "the loss " + m.group(1) + " " + m.group(2) + "x above its recent level";
                }
            }
        }
        return what(a.type());
    }

    /** True when the alert's fit describes the loss well enough to quote its numbers. */
    public static boolean meaningfulFit(AlertEvent a) {
        return a.fit() != null && Double.isFinite(a.fit().r2()) && a.fit().r2() >= MEANINGFUL_FIT_R2;
    }

    public static String what(AlertType type) {
        if (type == null) {
            return "the run needs attention";
        }
        return switch (type) {
            case LOSS_NON_FINITE -> "the loss is NaN or infinite";
            case LOSS_EXPONENTIAL_GROWTH -> "the loss is growing exponentially";
            case GRADIENT_EXPLOSION -> "the gradients are exploding";
            case VALIDATION_DIVERGENCE -> "the validation loss is climbing away from the training loss";
            case LOSS_BLOWUP -> "the loss jumped far above its recent level";
            case TRAINING_COLLAPSED -> "training collapsed: the loss is stuck at chance level";
            // types added later still read as something
            default -> type.name().toLowerCase(Locale.ROOT).replace('_', ' ');
        };
    }

    /** A few words for a chart or a list: "exponential growth", "gradient explosion". */
    public static String shortName(AlertType type) {
        if (type == null) {
            return "alert";
        }
        return switch (type) {
            case LOSS_NON_FINITE -> "loss NaN/infinite";
            case LOSS_EXPONENTIAL_GROWTH -> "exponential growth";
            case GRADIENT_EXPLOSION -> "gradient explosion";
            case VALIDATION_DIVERGENCE -> "validation diverging";
            case LOSS_BLOWUP -> "loss blow-up";
            case TRAINING_COLLAPSED -> "training collapsed";
            default -> type.name().toLowerCase(Locale.ROOT).replace('_', ' ');
        };
    }

    /** The likely cause as a reader says it: "the learning rate is too high". */
    public static String cause(Cause cause) {
        if (cause == null) {
            return "unclear from the metrics";
        }
        return switch (cause) {
            case LEARNING_RATE_TOO_HIGH -> "the learning rate is too high";
            case INSUFFICIENT_REGULARIZATION -> "too little regularization: the model overfits";
            case UNSTABLE_OPTIMIZER -> "the optimizer is unstable for this problem";
            case DATA_ISSUE -> "something in the data (a bad batch, bad labels or inputs)";
            case UNKNOWN -> "unclear from the metrics";
            case LEARNING_RATE_NEGATIVE -> "the learning rate is below zero: each step climbs the loss";
        };
    }

    /** One sentence: "Run r: the loss is growing exponentially since step 37 (doubling every 8.6 steps, ...)". */
    public static String summary(Incident i) {
        AlertEvent o = i.origin();
        StringBuilder sb = new StringBuilder(160)
                .append("Run ")
                .append(o.runId())
                .append(": ")
                .append(what(o))
                .append(" since step ")
                .append(o.onsetStep());
        String rate = rate(o);
        if (!rate.isEmpty()) {
            sb.append(" (").append(rate).append(')');
        }
        return sb.toString();
    }

    /** "doubling every 8.6 steps, overflow in ~1011 steps", or empty when the event has neither. */
    public static String rate(AlertEvent a) {
        StringBuilder sb = new StringBuilder();
        if (meaningfulFit(a)
                && Double.isFinite(a.fit().doublingSteps())
                && a.fit().doublingSteps() > 0) {
            sb.append("doubling every ").append(steps(a.fit().doublingSteps())).append(" steps");
        }
        if (a.forecast() != null && Double.isFinite(a.forecast().stepsToOverflow())) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(String.format(
                    Locale.ROOT, "overflow in ~%.0f steps", a.forecast().stepsToOverflow()));
        }
        return sb.toString();
    }

    /** The likely cause and how sure: "the learning rate is too high (80% sure)". */
    public static String likelyCause(AlertEvent.Diagnosis d) {
        if (d == null || d.cause() == null) {
            return "";
        }
        if (d.cause() == Cause.UNKNOWN) {
            return cause(d.cause());
        }
        return cause(d.cause()) + String.format(Locale.ROOT, " (%.0f%% sure)", 100 * d.confidence());
    }

    /** A ratio the detector writes as digits ("27289519x"): from this size on, readers count digits. */
    private static final Pattern LARGE_RATIO = Pattern.compile("\\b(\\d{5,})x\\b");

    /**
     * Evidence as written by the detector, with its statistics jargon in plain signs and large ratios
     * in words: "grad_norm jumped 27.3 million times", not "27289519x".
     */
    public static String plain(String evidence) {
        Matcher m = LARGE_RATIO.matcher(evidence.replace("R^2", "R²"));
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, times(Double.parseDouble(m.group(1))));
        }
        return m.appendTail(sb).toString();
    }

    /** 20587691 -> "20.6 million times", 52000 -> "52 thousand times". */
    static String times(double ratio) {
        String[] words = {"thousand", "million", "billion", "trillion"};
        int k = -1;
        while (ratio >= 1000 && k < words.length - 1) {
            ratio /= 1000;
            k++;
        }
        String n = ratio >= 100
                ? String.format(Locale.ROOT, "%.0f", ratio)
                : String.format(Locale.ROOT, "%.3g", ratio).replaceAll("\\.?0+$", "");
        return k < 0 ? n + "x" : n + " " + words[k] + " times";
    }

    /** Why the monitor thinks so: the diagnosed cause and its evidence, or empty. */
    public static String evidence(AlertEvent.Diagnosis d) {
        return d == null || d.evidence().isEmpty()
                ? ""
                : String.join(
                        "; ", d.evidence().stream().map(AlertWording::plain).toList());
    }

    static String steps(double d) {
        return d >= 100 ? String.format(Locale.ROOT, "%.0f", d) : String.format(Locale.ROOT, "%.1f", d);
    }
}
