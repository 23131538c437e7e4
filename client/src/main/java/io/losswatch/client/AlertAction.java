package io.losswatch.client;

import java.util.Locale;

/** What a run does when the monitor raises a critical alert for it ({@code --on-alert}). */
public enum AlertAction {
    /** Keep training; the alert is only printed. */
    IGNORE,
    /** Save a checkpoint and stop. */
    STOP,
    /** Restore the last checkpoint taken before the alert's onset, lower the learning rate tenfold, go on. */
    ROLLBACK,
    /** Roll back, and have the loop skip as many batches as led from the checkpoint to the alert. */
    SKIP;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static AlertAction parse(String s) {
        for (AlertAction a : values()) {
            if (a.name().equalsIgnoreCase(s)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown --on-alert '" + s + "': use stop, rollback, skip or ignore");
    }
}
