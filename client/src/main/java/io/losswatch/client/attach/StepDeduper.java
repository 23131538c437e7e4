package io.losswatch.client.attach;

import io.losswatch.events.StepEvent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decides whether a parsed row is news. A file read again from its top (rewritten, truncated or
 * rotated) repeats rows already sent: those are dropped. A row at a step already sent but with
 * another loss is a new attempt of the run (the trainer restarted with a fresh log): it goes out, and
 * the monitor starts that run's windows over when it sees the step go back.
 */
final class StepDeduper {

    /** Steps remembered with their loss, newest last. */
    private static final int MEMORY = 10_000;

    private final Map<Long, Double> sent = new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Double> eldest) {
            return size() > MEMORY;
        }
    };
    private long lastStep = -1;
    private long newAttempts;

    /** True when {@code event} should be published; remembers it. */
    boolean accept(StepEvent event) {
        long step = event.step();
        if (step > lastStep) {
            remember(event);
            return true;
        }
        Double known = sent.get(step);
        if (known == null || Double.compare(known, event.loss()) == 0) {
            return false;
        }
        sent.clear();
        newAttempts++;
        remember(event);
        return true;
    }

    private void remember(StepEvent event) {
        sent.put(event.step(), event.loss());
        lastStep = event.step();
    }

    long newAttempts() {
        return newAttempts;
    }
}
