package io.losswatch.client.guard;

import io.losswatch.client.AlertAction;
import io.losswatch.client.AlertFollower;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.Severity;
import io.losswatch.events.StepEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Acts on a run's critical alerts from inside its training loop: stops it, rolls it back to a
 * checkpoint from before the divergence began with a lower learning rate, or does that and also has
 * the loop skip the batches that led there. Any framework: the model is reached through a
 * {@link GuardedModel}.
 *
 * <p>The loop calls {@link #afterStep} after each step; the guard keeps a ring of in-memory
 * checkpoints (the weights and optimizer state entering every {@code checkpointEvery}-th step, and
 * always the ones before any training) and takes the run's alerts off a queue that an
 * {@link AlertFollower} fills. After a rollback, {@link #annotate} marks the next step event with the
 * step the run resumed from, so that the monitor resolves the old alerts and judges the resumed run
 * afresh; alerts whose onset lies before the rollback describe a trajectory already abandoned and are
 * not acted on twice. After {@code maxRollbacks} rollbacks the next critical alert stops the run and
 * the recovery is reported failed.
 *
 * <p>Not thread-safe: one training loop calls it.
 *
 * @param <S> the model's snapshots
 */
public final class Guard<S> implements AutoCloseable {

    private record Checkpoint<S>(long step, S state) {}

    private final GuardConfig config;
    private final GuardedModel<S> model;
    private final BlockingQueue<AlertEvent> alerts;
    private final AutoCloseable follower;
    private final Deque<Checkpoint<S>> checkpoints = new ArrayDeque<>();
    private final List<GuardAct> acts = new ArrayList<>();
    /** Alerts with an onset at or before this step were raised on a trajectory already rolled back. */
    private long actedAtStep = -1;

    private Consumer<String> notes = line -> {};
    private Long pendingResumedFrom;
    private int rollbacks;
    private boolean stopped;
    private boolean recoveryFailed;

    /**
     * @param alerts the run's alerts, in the order the monitor raised them
     * @param firstStep the step the loop trains first: the weights as they are now enter it
     */
    public Guard(GuardConfig config, GuardedModel<S> model, BlockingQueue<AlertEvent> alerts, long firstStep) {
        this(config, model, alerts, firstStep, null);
    }

    private Guard(
            GuardConfig config,
            GuardedModel<S> model,
            BlockingQueue<AlertEvent> alerts,
            long firstStep,
            AutoCloseable follower) {
        this.config = Objects.requireNonNull(config, "config");
        this.model = Objects.requireNonNull(model, "model");
        this.alerts = Objects.requireNonNull(alerts, "alerts");
        this.follower = follower;
        if (config.action() != AlertAction.IGNORE) {
            checkpoints.add(new Checkpoint<>(firstStep, model.snapshot()));
        }
    }

    /**
     * A guard that follows the alerts topic itself (read_committed, from its end), from step 0.
     *
     * @throws IllegalStateException when the alerts topic does not exist (start the monitor first)
     */
    public static <S> Guard<S> following(
            GuardConfig config,
            GuardedModel<S> model,
            String bootstrapServers,
            String alertsTopic,
            Map<String, String> kafka) {
        AlertFollower f = new AlertFollower(bootstrapServers, alertsTopic, kafka, config.runId());
        return new Guard<>(config, model, f.queue(), 0, f);
    }

    /** Where the guard says, in one line each, which firing alerts it saw and left alone. */
    public Guard<S> notes(Consumer<String> sink) {
        this.notes = Objects.requireNonNull(sink, "sink");
        return this;
    }

    /**
     * Called after the loop has trained {@code step}: keeps a checkpoint when one is due, then acts on
     * the alerts that have arrived.
     *
     * @return what the guard has just done, or null when the loop goes on as it was
     */
    public GuardAct afterStep(long step) {
        checkpoint(step + 1);
        return act(step, null);
    }

    /**
     * Waits up to {@code wait} for the monitor's verdict and acts on it: for a loop whose loss has
     * turned non-finite, where going on is pointless but the alert is on its way.
     */
    public GuardAct awaitVerdict(long step, Duration wait) {
        return act(step, wait);
    }

    /**
     * The step event as it should be published: the first one after a rollback carries the step the run
     * resumed from ({@code resumed_from}).
     */
    public StepEvent annotate(StepEvent e) {
        if (pendingResumedFrom == null || e.resumedFrom() != null) {
            return e;
        }
        long from = Math.min(pendingResumedFrom, e.step());
        pendingResumedFrom = null;
        return e.withResumedFrom(from);
    }

    /** True once the guard has stopped the run (a stop action, or a failed recovery). */
    public boolean stopped() {
        return stopped;
    }

    /** True when the run was stopped because rolling back did not help. */
    public boolean recoveryFailed() {
        return recoveryFailed;
    }

    /** Rollbacks (and skips) done so far. */
    public int rollbacks() {
        return rollbacks;
    }

    /** Everything the guard did, in order. */
    public List<GuardAct> acts() {
        return List.copyOf(acts);
    }

    /** One line for the end of the run: completed, recovered, stopped on a divergence, or recovery failed. */
    public String outcome() {
        if (recoveryFailed) {
            return "recovery failed after " + rollbacks + " rollback" + (rollbacks == 1 ? "" : "s");
        }
        if (stopped) {
            return "stopped on a divergence";
        }
        return rollbacks == 0
                ? "completed"
                : "recovered after " + rollbacks + " rollback" + (rollbacks == 1 ? "" : "s");
    }

    private void checkpoint(long enteringStep) {
        if (config.action() == AlertAction.IGNORE || enteringStep % config.checkpointEvery() != 0) {
            return;
        }
        if (!model.finite()) {
            return; // nothing worth going back to
        }
        checkpoints.addLast(new Checkpoint<>(enteringStep, model.snapshot()));
        if (checkpoints.size() > config.checkpointsKept()) {
            // keep the very first, from before any training: an onset may come before every other one
            Checkpoint<S> first = checkpoints.pollFirst();
            checkpoints.pollFirst();
            checkpoints.addFirst(first);
        }
    }

    private GuardAct act(long step, Duration wait) {
        if (stopped) {
            return null;
        }
        AlertEvent a;
        try {
            a = wait == null ? alerts.poll() : alerts.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        for (; a != null; a = alerts.poll()) {
            if (actionable(a)) {
                return apply(a, step);
            }
            if (a.status() == AlertStatus.FIRING) {
                notes.accept(String.format(
                        Locale.ROOT,
                        "%s: %s %s alert (onset step %d) at step %d: going on%s",
                        config.runId(),
                        a.severity().name().toLowerCase(Locale.ROOT),
                        a.type(),
                        a.onsetStep(),
                        step,
                        a.onsetStep() <= actedAtStep ? " (it began before the last rollback)" : ""));
            }
        }
        return null;
    }

    private boolean actionable(AlertEvent a) {
        return config.action() != AlertAction.IGNORE
                && a.status() == AlertStatus.FIRING
                && a.severity() == Severity.CRITICAL
                && a.onsetStep() > actedAtStep;
    }

    private GuardAct apply(AlertEvent a, long step) {
        String what = "critical %s alert (onset step %d, cause %s) at step %d"
                .formatted(
                        a.type(),
                        a.onsetStep(),
                        a.diagnosis() == null ? "UNKNOWN" : a.diagnosis().cause(),
                        step);
        Checkpoint<S> before = newestBefore(a.onsetStep());
        actedAtStep = step;
        if (before == null) {
            return stop(a, null, true, "stopped on " + what + ": no checkpoint to go back to");
        }
        if (config.action() == AlertAction.STOP) {
            return stop(a, before, false, "stopped on " + what);
        }
        if (rollbacks >= config.maxRollbacks()) {
            return stop(
                    a,
                    before,
                    true,
                    "recovery failed: " + what + " after " + rollbacks + " rollback" + (rollbacks == 1 ? "" : "s"));
        }
        // the checkpoints after it were taken on the diverging trajectory
        while (checkpoints.peekLast() != before) {
            checkpoints.pollLast();
        }
        model.restore(before.state());
        double old = model.learningRate();
        double rate = old * config.learningRateFactor();
        model.learningRate(rate);
        rollbacks++;
        pendingResumedFrom = before.step();
        boolean skip = config.action() == AlertAction.SKIP;
        long skipBatches = skip ? Math.max(0, step + 1 - before.step()) : 0;
        String message = String.format(
                Locale.ROOT,
                "%s: %s: rolled back to the checkpoint of step %d, learning rate %s -> %s%s",
                config.runId(),
                what,
                before.step(),
                readable(old),
                readable(rate),
                skip ? ", skipping the next " + skipBatches + " batches" : "");
        return record(new GuardAct(
                skip ? GuardAct.Kind.SKIP : GuardAct.Kind.ROLLBACK,
                a,
                before.step(),
                skipBatches,
                old,
                rate,
                false,
                message));
    }

    private GuardAct stop(AlertEvent a, Checkpoint<S> before, boolean failed, String why) {
        stopped = true;
        recoveryFailed = failed;
        String saved = "";
        if (before != null) {
            model.restore(before.state());
            saved = "; " + save(before);
        }
        return record(new GuardAct(
                GuardAct.Kind.STOP,
                a,
                before == null ? -1 : before.step(),
                0,
                model.learningRate(),
                model.learningRate(),
                failed,
                config.runId() + ": " + why + saved));
    }

    private String save(Checkpoint<S> c) {
        Path file = config.checkpointDir()
                .resolve(config.runId().replaceAll("[^A-Za-z0-9._-]", "_") + "-step-" + c.step() + ".zip");
        try {
            Files.createDirectories(config.checkpointDir());
            model.save(c.state(), file);
            return "the weights entering step " + c.step() + ", before the divergence, are in " + file;
        } catch (IOException | RuntimeException e) {
            return "could not save the checkpoint of step " + c.step() + " to " + file + ": " + e.getMessage();
        }
    }

    /** A learning rate as a person writes it: 0.01, not 0.010000000000000002. */
    public static String readable(double rate) {
        if (!Double.isFinite(rate) || rate == 0) {
            return Double.toString(rate);
        }
        return new java.math.BigDecimal(rate)
                .round(new java.math.MathContext(6))
                .stripTrailingZeros()
                .toString();
    }

    private GuardAct record(GuardAct act) {
        acts.add(act);
        return act;
    }

    /** The newest checkpoint whose weights entered a step before {@code onset}; the oldest one otherwise. */
    private Checkpoint<S> newestBefore(long onset) {
        for (Iterator<Checkpoint<S>> it = checkpoints.descendingIterator(); it.hasNext(); ) {
            Checkpoint<S> c = it.next();
            if (c.step() < onset) {
                return c;
            }
        }
        return checkpoints.peekFirst();
    }

    @Override
    public void close() {
        if (follower != null) {
            try {
                follower.close();
            } catch (Exception e) {
                // closing a consumer on the way out: nothing left to do about it
            }
        }
    }
}
