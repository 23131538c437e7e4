package io.losswatch.bench;

import io.losswatch.events.Cause;
import io.losswatch.events.StepEvent;
import java.util.List;

/**
 * One labelled run of the detection benchmark: the step events a trainer would have sent, and the
 * truth a detector is scored against.
 *
 * @param name unique within the corpus, e.g. {@code exp-start-07}
 * @param family the shape the run was made to have, e.g. {@code cosine-restarts}
 * @param diverging true for a run that should be alerted, false for a healthy one
 * @param onsetStep where the trouble begins (diverging runs), else -1
 * @param cause the cause the run was made with, {@code null} where no single cause is fair to ask
 *     for; {@link Cause#UNKNOWN} where the events carry too little to name one (a diagnosis should
 *     then say UNKNOWN)
 * @param events the steps, in order
 */
public record BenchRun(
        String name, String family, boolean diverging, long onsetStep, Cause cause, List<StepEvent> events) {

    public BenchRun {
        events = List.copyOf(events);
        if (diverging == onsetStep < 0) {
            throw new IllegalArgumentException(name + ": a diverging run needs an onset step, a healthy one none");
        }
    }

    /** Step of the first non-finite loss, or -1. */
    public long firstNonFiniteStep() {
        for (StepEvent e : events) {
            if (!Double.isFinite(e.loss())) {
                return e.step();
            }
        }
        return -1;
    }

    /** The run ends with a non-finite loss: the trainer blew up and stopped. */
    public boolean endsNonFinite() {
        return !events.isEmpty()
                && !Double.isFinite(events.get(events.size() - 1).loss());
    }

    public long lastStep() {
        return events.isEmpty() ? -1 : events.get(events.size() - 1).step();
    }
}
