package io.losswatch.events;

import java.util.Locale;

/** One readable line per alert, for consoles and logs. */
public final class AlertText {
    private AlertText() {}

    public static String oneLine(AlertEvent a) {
        StringBuilder sb = new StringBuilder(160);
        sb.append(a.status() == AlertStatus.FIRING ? "ALERT " : "RESOLVED ")
                .append(a.severity() == null ? "" : a.severity().wire())
                .append(' ')
                .append(a.runId())
                .append(' ')
                .append(a.type())
                .append(" at step ")
                .append(a.step())
                .append(" (onset ")
                .append(a.onsetStep())
                .append(')');
        if (a.fit() != null) {
            sb.append(String.format(
                    Locale.ROOT,
                    ", doubling every %s steps, R^2 %.2f",
                    formatSteps(a.fit().doublingSteps()),
                    a.fit().r2()));
        }
        if (a.forecast() != null && Double.isFinite(a.forecast().stepsToOverflow())) {
            sb.append(String.format(
                    Locale.ROOT, ", overflow in ~%.0f steps", a.forecast().stepsToOverflow()));
        }
        if (a.diagnosis() != null) {
            sb.append(String.format(
                    Locale.ROOT,
                    "; cause %s (%.0f%%): %s",
                    a.diagnosis().cause(),
                    a.diagnosis().confidence() * 100,
                    a.diagnosis().suggestion()));
        }
        return sb.toString();
    }

    private static String formatSteps(double d) {
        if (!Double.isFinite(d)) {
            return "inf";
        }
        return d >= 100 ? String.format(Locale.ROOT, "%.0f", d) : String.format(Locale.ROOT, "%.1f", d);
    }
}
