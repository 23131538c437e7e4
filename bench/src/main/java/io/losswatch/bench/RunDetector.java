package io.losswatch.bench;

import io.losswatch.events.Cause;
import java.util.List;

/** Something the benchmark scores: it reads a run's steps in order and says where it would have alerted. */
public interface RunDetector {

    /**
     * One alert raised.
     *
     * @param step the step it was raised at
     * @param type what kind of alert (an alert type, or the baseline's name)
     * @param cause the diagnosed cause, {@code null} for detectors that do not diagnose
     * @param detail the first line of evidence, for reading run by run
     */
    record Firing(long step, String type, Cause cause, String detail) {
        public Firing(long step, String type, Cause cause) {
            this(step, type, cause, "");
        }
    }

    String name();

    /** The firings, in step order, of one run fed step by step as a stream would. */
    List<Firing> run(BenchRun run);

    /** True when the detector names a cause (only those get a cause accuracy). */
    default boolean diagnoses() {
        return false;
    }
}
