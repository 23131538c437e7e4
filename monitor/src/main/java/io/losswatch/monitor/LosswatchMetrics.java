package io.losswatch.monitor;

import io.losswatch.detector.fit.LinearFit;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.StepEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every meter the monitor publishes, declared in one place (alert delivery's are in
 * {@code io.losswatch.notify.DeliveryMetrics}). Names are Micrometer's dotted form; the
 * Prometheus registry turns {@code losswatch.records} into {@code losswatch_records_total}.
 *
 * <p>Per-run gauges carry a {@code run_id} label and are removed once the run has been idle for the
 * configured time, so series do not pile up. Gauges hold their state through strong references
 * here (Micrometer gauges keep only weak ones).
 */
public final class LosswatchMetrics {
    public static final String RUN_ID = "run_id";
    public static final String TYPE = "type";
    public static final String CAUSE = "cause";
    public static final String REASON = "reason";

    public static final String LOSS = "losswatch.loss";
    public static final String GRAD_NORM = "losswatch.grad.norm";
    public static final String LEARNING_RATE = "losswatch.learning.rate";
    public static final String VAL_LOSS = "losswatch.val.loss";
    public static final String STEP = "losswatch.step";
    public static final String GROWTH_RATE = "losswatch.loss.growth.rate";
    public static final String DOUBLING_STEPS = "losswatch.loss.doubling.steps";
    public static final String FIT_R2 = "losswatch.fit.r2";
    public static final String ALERT_ACTIVE = "losswatch.alert.active";
    /** 1 while an alert is firing for a run, labelled with its diagnosed cause: the dashboards' run table. */
    public static final String ALERT_CAUSE = "losswatch.alert.cause";

    public static final String RECORDS = "losswatch.records";
    public static final String INVALID_RECORDS = "losswatch.invalid.records";
    public static final String IGNORED_RECORDS = "losswatch.ignored.records";
    public static final String ALERTS = "losswatch.alerts";
    public static final String DETECTION_LATENCY = "losswatch.detection.latency";
    public static final String ACTIVE_RUNS = "losswatch.active.runs";

    private final MeterRegistry registry;
    private final Counter records;
    private final Timer detectionLatency;
    private final Map<String, RunGauges> runs = new ConcurrentHashMap<>();
    private final Map<String, Counter> invalid = new ConcurrentHashMap<>();
    private final Map<String, Counter> ignored = new ConcurrentHashMap<>();
    private final Map<String, Counter> alerts = new ConcurrentHashMap<>();

    /** The latest values of one run, read by its gauges. */
    static final class RunGauges {
        volatile double loss = Double.NaN;
        volatile double gradNorm = Double.NaN;
        volatile double learningRate = Double.NaN;
        volatile double valLoss = Double.NaN;
        /** Optional series (grad_norm, learning_rate, val_loss) exist once the trainer has sent them. */
        boolean hasGradNorm;

        boolean hasLearningRate;
        boolean hasValLoss;
        volatile double step = Double.NaN;
        volatile double growthRate = Double.NaN;
        volatile double doublingSteps = Double.NaN;
        volatile double r2 = Double.NaN;
        final double[] alertActive = new double[AlertType.values().length];
        volatile long lastSeenNanos;
        final List<Meter> meters = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** Per alert type, the cause series of the firing alert; absent while the type is not firing. */
        final Map<AlertType, Meter> causes = new ConcurrentHashMap<>();
    }

    public LosswatchMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.records = Counter.builder(RECORDS)
                .description("Step records read from the metrics topic, valid or not")
                .baseUnit("records")
                .register(registry);
        this.detectionLatency = Timer.builder(DETECTION_LATENCY)
                .description("Time from a step's event time to the alert it caused")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
        Gauge.builder(ACTIVE_RUNS, runs, Map::size)
                .description("Runs with live per-run series (seen within the idle timeout)")
                .baseUnit("runs")
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void recordRead() {
        records.increment();
    }

    public void invalidRecord(String reason) {
        invalid.computeIfAbsent(
                        reason,
                        r -> Counter.builder(INVALID_RECORDS)
                                .description(
                                        "Records that failed validation and went to the dead-letter topic, by reason")
                                .baseUnit("records")
                                .tag(REASON, r)
                                .register(registry))
                .increment();
    }

    public void ignoredRecord(String reason) {
        ignored.computeIfAbsent(
                        reason,
                        r -> Counter.builder(IGNORED_RECORDS)
                                .description(
                                        "Valid records that were counted and not used, such as repeated or older steps")
                                .baseUnit("records")
                                .tag(REASON, r)
                                .register(registry))
                .increment();
    }

    public void alert(AlertEvent a, long latencyMillis) {
        RunGauges g = runs.get(a.runId());
        if (g != null) {
            g.alertActive[a.type().ordinal()] = a.status() == AlertStatus.FIRING ? 1 : 0;
            alertCause(a, g);
        }
        if (a.status() != AlertStatus.FIRING) {
            return;
        }
        String cause = a.diagnosis() == null ? "UNKNOWN" : a.diagnosis().cause().name();
        alerts.computeIfAbsent(
                        a.type() + "/" + cause,
                        k -> Counter.builder(ALERTS)
                                .description("Firing alerts raised, by type and diagnosed cause")
                                .baseUnit("alerts")
                                .tags(TYPE, a.type().name(), CAUSE, cause)
                                .register(registry))
                .increment();
        if (latencyMillis >= 0) {
            detectionLatency.record(Duration.ofMillis(latencyMillis));
        }
    }

    /**
     * Updates the run's gauges after a step was used.
     *
     * @return true when the run's series were (re)created by this step
     */
    public boolean step(StepEvent e, LinearFit fit, long nowNanos) {
        RunGauges g = runs.get(e.runId());
        boolean created = g == null;
        if (created) {
            g = runs.computeIfAbsent(e.runId(), this::registerRun);
        }
        g.loss = e.loss();
        if (e.gradNorm() != null) {
            g.gradNorm = e.gradNorm();
            if (!g.hasGradNorm) {
                g.hasGradNorm = true;
                g.meters.add(Gauge.builder(GRAD_NORM, g, x -> x.gradNorm)
                        .tags(RUN_ID, e.runId())
                        .description("Latest L2 norm of the mean minibatch gradient")
                        .register(registry));
            }
        }
        if (e.learningRate() != null) {
            g.learningRate = e.learningRate();
            if (!g.hasLearningRate) {
                g.hasLearningRate = true;
                g.meters.add(Gauge.builder(LEARNING_RATE, g, x -> x.learningRate)
                        .tags(RUN_ID, e.runId())
                        .description("Latest learning rate of the run")
                        .register(registry));
            }
        }
        if (e.valLoss() != null) {
            g.valLoss = e.valLoss();
            if (!g.hasValLoss) {
                g.hasValLoss = true;
                g.meters.add(Gauge.builder(VAL_LOSS, g, x -> x.valLoss)
                        .tags(RUN_ID, e.runId())
                        .description("Latest validation loss of the run (sent on the steps where validation ran)")
                        .register(registry));
            }
        }
        g.step = e.step();
        if (fit != null && fit.n() >= 2) {
            g.growthRate = fit.slope();
            g.doublingSteps = fit.doublingSteps();
            g.r2 = fit.r2();
        }
        g.lastSeenNanos = nowNanos;
        return created;
    }

    private void alertCause(AlertEvent a, RunGauges g) {
        Meter previous = g.causes.remove(a.type());
        if (previous != null) {
            registry.remove(previous);
        }
        if (a.status() == AlertStatus.FIRING) {
            String cause =
                    a.diagnosis() == null ? "UNKNOWN" : a.diagnosis().cause().name();
            g.causes.put(
                    a.type(),
                    Gauge.builder(ALERT_CAUSE, () -> 1)
                            .tags(RUN_ID, a.runId(), TYPE, a.type().name(), CAUSE, cause)
                            .description(
                                    "1 while an alert of this type is firing for the run, labelled with its diagnosed "
                                            + "cause; absent otherwise")
                            .register(registry));
        }
    }

    /** Restores the alert-active gauges of a run whose state came from the store (after a restart). */
    public void alertActive(String runId, AlertType type, boolean active) {
        RunGauges g = runs.get(runId);
        if (g != null) {
            g.alertActive[type.ordinal()] = active ? 1 : 0;
        }
    }

    private RunGauges registerRun(String runId) {
        RunGauges g = new RunGauges();
        Tags t = Tags.of(RUN_ID, runId);
        g.meters.add(Gauge.builder(LOSS, g, x -> x.loss)
                .tags(t)
                .description("Latest training loss of the run")
                .register(registry));
        g.meters.add(Gauge.builder(STEP, g, x -> x.step)
                // no base unit: it would rename the series losswatch_step_steps
                .tags(t)
                .description("Latest training step the monitor has seen for the run")
                .register(registry));
        g.meters.add(Gauge.builder(GROWTH_RATE, g, x -> x.growthRate)
                .tags(t)
                .description("Fitted growth rate of ln(loss) per step")
                .register(registry));
        g.meters.add(Gauge.builder(DOUBLING_STEPS, g, x -> x.doublingSteps)
                .tags(t)
                .description("Steps for the loss to double at the fitted rate (+Inf when not growing)")
                .baseUnit("steps")
                .register(registry));
        g.meters.add(Gauge.builder(FIT_R2, g, x -> x.r2)
                .tags(t)
                .description("R^2 of the growth fit")
                .register(registry));
        for (AlertType type : AlertType.values()) {
            int i = type.ordinal();
            g.meters.add(Gauge.builder(ALERT_ACTIVE, g, x -> x.alertActive[i])
                    .tags(t.and(TYPE, type.name()))
                    .description("1 while an alert of this type is firing for the run, else 0")
                    .register(registry));
        }
        return g;
    }

    /** Removes the series of runs idle for longer than {@code idle}. Returns how many were removed. */
    public int expireIdleRuns(long nowNanos, Duration idle) {
        int removed = 0;
        for (Map.Entry<String, RunGauges> en : runs.entrySet()) {
            if (nowNanos - en.getValue().lastSeenNanos > idle.toNanos()) {
                if (runs.remove(en.getKey(), en.getValue())) {
                    en.getValue().meters.forEach(registry::remove);
                    en.getValue().causes.values().forEach(registry::remove);
                    removed++;
                }
            }
        }
        return removed;
    }

    public int liveRuns() {
        return runs.size();
    }
}
