package io.losswatch.monitor;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap an instance gives to live run states, over all its tasks (each task's store draws on it).
 * Each live run is charged what it takes: its state ({@link io.losswatch.detector.RunState#heapBytes()},
 * which grows with its windows: about 1.5 KB for a new run, 4.2 KB for one whose windows of every
 * series are full) and its entry in the store's cache ({@link #ENTRY_BYTES} and its id). Past the
 * budget, the stores write out their least recently stepped runs.
 */
final class LiveStateBudget {
    /** Heap a live run takes besides its state and its id: the cache's entry and bookkeeping. */
    static final long ENTRY_BYTES = 160;
    /** Heap of a run id besides its characters (two bytes each at most): the string and its array. */
    static final long ID_BYTES = 40;

    private final long maxBytes;
    private final long maxRuns;
    private final AtomicLong live = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    private LiveStateBudget(long maxBytes, long maxRuns) {
        this.maxBytes = maxBytes;
        this.maxRuns = Math.max(1, maxRuns);
    }

    static LiveStateBudget ofBytes(long bytes) {
        return new LiveStateBudget(bytes, Long.MAX_VALUE);
    }

    /** At most {@code runs} live states, whatever they take: for tests. */
    static LiveStateBudget ofRuns(long runs) {
        return new LiveStateBudget(Long.MAX_VALUE, runs);
    }

    /** What a live run is charged: its state's heap, its id and the cache's entry. */
    static long charge(String runId, long stateBytes) {
        return stateBytes + ENTRY_BYTES + ID_BYTES + 2L * runId.length();
    }

    long maxBytes() {
        return maxBytes;
    }

    long live() {
        return live.get();
    }

    long bytes() {
        return bytes.get();
    }

    void added(long charged) {
        live.incrementAndGet();
        bytes.addAndGet(charged);
    }

    void resized(long delta) {
        bytes.addAndGet(delta);
    }

    void removed(long charged) {
        live.decrementAndGet();
        bytes.addAndGet(-charged);
    }

    boolean over() {
        return live.get() > maxRuns || bytes.get() > maxBytes;
    }
}
