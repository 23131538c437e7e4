package io.losswatch.monitor;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How many run states an instance keeps live, over all its tasks (each task's store draws on it): a
 * heap budget divided by what a live state takes. A state's windows are allocated whole when it is
 * made, so it takes the same heap from its first step: 4.7 KB with the default detector settings
 * (3,000 states after 10, 100 and 1,000 steps, measured after a full collection), and the store's own
 * bookkeeping about 0.3 KB more.
 */
final class LiveStateBudget {
    /** Heap a live run takes, its state and the store's bookkeeping. */
    static final long BYTES_PER_RUN = 5 * 1024;

    private final long maxRuns;
    private final AtomicLong live = new AtomicLong();

    private LiveStateBudget(long maxRuns) {
        this.maxRuns = Math.max(1, maxRuns);
    }

    static LiveStateBudget ofBytes(long bytes) {
        return new LiveStateBudget(bytes / BYTES_PER_RUN);
    }

    static LiveStateBudget ofRuns(long runs) {
        return new LiveStateBudget(runs);
    }

    long maxRuns() {
        return maxRuns;
    }

    long live() {
        return live.get();
    }

    void added() {
        live.incrementAndGet();
    }

    void removed(long n) {
        live.addAndGet(-n);
    }

    boolean over() {
        return live.get() > maxRuns;
    }
}
