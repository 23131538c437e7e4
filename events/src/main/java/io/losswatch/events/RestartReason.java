package io.losswatch.events;

/**
 * The sentence a {@code resolved} alert carries as its evidence when the run itself ended the trouble
 * by going back (a rollback to a checkpoint) or starting over (a new attempt), rather than the
 * condition clearing. Written by the detector and read by the receivers' wording, in this one place,
 * so that a message can say "rolled back" instead of "cleared".
 */
public final class RestartReason {
    private static final String ROLLED_BACK = "the run rolled back to the checkpoint of step ";
    private static final String STARTED_OVER = "the run started over at step ";

    private RestartReason() {}

    public static String rolledBack(long checkpointStep, long atStep) {
        return ROLLED_BACK + checkpointStep + " at step " + atStep;
    }

    public static String startedOver(long atStep) {
        return STARTED_OVER + atStep + " (a new attempt)";
    }

    /** The restart sentence of a resolved event, or null when its condition cleared by itself. */
    public static String of(AlertEvent resolved) {
        if (resolved == null || resolved.status() != AlertStatus.RESOLVED || resolved.diagnosis() == null) {
            return null;
        }
        for (String e : resolved.diagnosis().evidence()) {
            if (e.startsWith(ROLLED_BACK) || e.startsWith(STARTED_OVER)) {
                return e;
            }
        }
        return null;
    }

    /** True when the sentence says the run rolled back (false: it started over). */
    public static boolean isRollback(String reason) {
        return reason != null && reason.startsWith(ROLLED_BACK);
    }
}
