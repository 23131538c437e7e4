package io.losswatch.systemtests.reliability;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/** A stand-in trainer: one step every {@code period}, at a fixed rate, whatever the broker and monitor do. */
final class PacedTrainer implements AutoCloseable {
    private final ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "paced-trainer");
        t.setDaemon(true);
        return t;
    });
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicReference<Throwable> error = new AtomicReference<>();

    PacedTrainer(int steps, Duration period, IntConsumer step, Runnable whenDone) {
        clock.scheduleAtFixedRate(
                () -> {
                    int i = next.getAndIncrement();
                    try {
                        if (i < steps) {
                            step.accept(i);
                        } else if (i == steps) {
                            whenDone.run();
                            done.countDown();
                            clock.shutdown();
                        }
                    } catch (RuntimeException e) {
                        error.compareAndSet(null, e);
                        done.countDown();
                        clock.shutdown();
                    }
                },
                0,
                period.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Waits until every step ran (or one failed); false on timeout. */
    boolean awaitDone(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    Throwable error() {
        return error.get();
    }

    @Override
    public void close() throws InterruptedException {
        clock.shutdownNow();
        clock.awaitTermination(10, TimeUnit.SECONDS);
    }
}
