package io.losswatch.monitor;

import io.losswatch.detector.fit.LinearFit;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.StepEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every meter the monitor publishes, declared in one place (alert delivery's are in
 * {@code io.losswatch.notify.DeliveryMetrics}). Names are Micrometer's dotted form; the
 * Prometheus registry turns {@code losswatch.records} into {@code losswatch_records_total}.
 *
 * <p>Per-run series carry a {@code run_id} label and are removed once the run has been idle for the
 * configured time, so series do not pile up. They are not Micrometer meters: {@link RunSeries} keeps
 * one small object per run and makes the samples when Prometheus scrapes, so a registry that is not
 * Prometheus (a test's) has them only through {@link #runValue}.
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
    public static final String LIVE_STATES = "losswatch.live.run.states";
    public static final String LIVE_STATE_BYTES = "losswatch.live.run.state.bytes";
    public static final String LIVE_STATE_LIMIT_BYTES = "losswatch.live.run.state.limit.bytes";

    private final MeterRegistry registry;
    private final Counter records;
    private final Timer detectionLatency;
    private final RunSeries runs = new RunSeries();
    private final Map<String, Counter> invalid = new ConcurrentHashMap<>();
    private final Map<String, Counter> ignored = new ConcurrentHashMap<>();
    private final Map<String, Counter> alerts = new ConcurrentHashMap<>();

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
        if (registry instanceof PrometheusMeterRegistry prometheus) {
            prometheus.getPrometheusRegistry().register(runs);
        }
        Gauge.builder(ACTIVE_RUNS, runs, RunSeries::size)
                .description("Runs with live per-run series (seen within the idle timeout)")
                .baseUnit("runs")
                .register(registry);
    }

    /** The run states the instance keeps live, the heap they take, and how much they may: past that, runs are read from the store. */
    void liveStates(LiveStateBudget budget) {
        Gauge.builder(LIVE_STATES, budget, LiveStateBudget::live)
                .description("Run states kept live in memory, all tasks together")
                .register(registry);
        Gauge.builder(LIVE_STATE_BYTES, budget, LiveStateBudget::bytes)
                .description("Heap the live run states take, about, all tasks together")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder(LIVE_STATE_LIMIT_BYTES, budget, LiveStateBudget::maxBytes)
                .description("Heap the live run states may take (--live-state-mb); past it, the least recently "
                        + "stepped runs are read back from the store at their next step")
                .baseUnit("bytes")
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
        boolean firing = a.status() == AlertStatus.FIRING;
        String cause = a.diagnosis() == null ? "UNKNOWN" : a.diagnosis().cause().name();
        RunSeries.Run r = runs.get(a.runId());
        if (r != null) {
            r.alertActive[a.type().ordinal()] = firing ? 1 : 0;
            r.cause[a.type().ordinal()] = firing ? cause : null;
        }
        if (!firing) {
            return;
        }
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
        return step(null, e, fit, nowNanos).createdByLastStep;
    }

    /**
     * {@link #step(StepEvent, LinearFit, long)} with the run's series object from its previous step
     * ({@code known}, or null), which saves looking the run up while it is still registered. Returns the
     * object updated, to keep for the next step.
     */
    RunSeries.Run step(RunSeries.Run known, StepEvent e, LinearFit fit, long nowNanos) {
        RunSeries.Run r = known != null && !known.removed ? known : runs.get(e.runId());
        boolean created = r == null;
        if (created) {
            r = runs.create(e.runId());
        }
        r.createdByLastStep = created;
        r.loss = e.loss();
        if (e.gradNorm() != null) {
            r.gradNorm = e.gradNorm();
        }
        if (e.learningRate() != null) {
            r.learningRate = e.learningRate();
        }
        if (e.valLoss() != null) {
            r.valLoss = e.valLoss();
        }
        r.step = e.step();
        if (fit != null && fit.n() >= 2) {
            r.growthRate = fit.slope();
            r.doublingSteps = fit.doublingSteps();
            r.r2 = fit.r2();
        }
        r.lastSeenNanos = nowNanos;
        return r;
    }

    /** Restores the alert-active series of a run whose state came from the store (after a restart). */
    public void alertActive(String runId, AlertType type, boolean active) {
        RunSeries.Run r = runs.get(runId);
        if (r != null) {
            r.alertActive[type.ordinal()] = active ? 1 : 0;
        }
    }

    /**
     * The latest exported value of a per-run series ({@link #LOSS}, {@link #STEP}, {@link #ALERT_ACTIVE}, ...),
     * {@code tags} being the labels after {@code run_id} as name-value pairs; empty when the run has no such
     * series. What a scrape of {@code /metrics} would show, for tests and benchmarks.
     */
    public OptionalDouble runValue(String meter, String runId, String... tags) {
        return runs.sample(meter.replace('.', '_'), runId, tags);
    }

    /** Removes the series of runs idle for longer than {@code idle}. Returns how many were removed. */
    public int expireIdleRuns(long nowNanos, Duration idle) {
        int removed = 0;
        for (RunSeries.Run r : runs.all()) {
            if (nowNanos - r.lastSeenNanos > idle.toNanos() && runs.remove(r.runId, r)) {
                removed++;
            }
        }
        return removed;
    }

    public int liveRuns() {
        return runs.size();
    }
}
