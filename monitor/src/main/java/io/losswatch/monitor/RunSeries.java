package io.losswatch.monitor;

import io.losswatch.events.AlertType;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The per-run series ({@code losswatch_loss{run_id}}, {@code losswatch_alert_active{run_id,type}}, ...):
 * the latest values of each live run, kept in one plain object per run and turned into Prometheus
 * samples only when scraped.
 *
 * <p>Registering Micrometer gauges per run cost about 14 meters, 7.5 KB of heap and a registry update
 * for each new run: at 100,000 runs the meters alone filled a 1 GB heap. Here a new run costs one small
 * object and a step a few field writes, whatever the number of runs; a scrape walks the runs once.
 */
final class RunSeries implements MultiCollector {

    /** The latest values of one run. Written by the stream thread, read by scrapes. */
    static final class Run {
        final String runId;
        final Labels labels;
        volatile double loss = Double.NaN;
        volatile double gradNorm = Double.NaN;
        volatile double learningRate = Double.NaN;
        volatile double valLoss = Double.NaN;
        volatile double step = Double.NaN;
        volatile double growthRate = Double.NaN;
        volatile double doublingSteps = Double.NaN;
        volatile double r2 = Double.NaN;
        /** Per alert type: 1 while firing, else 0. */
        final double[] alertActive = new double[AlertType.values().length];
        /** Per alert type, the diagnosed cause of the firing alert; null while the type is not firing. */
        final String[] cause = new String[AlertType.values().length];

        volatile long lastSeenNanos;
        /** No longer registered (its run went idle): a caller that kept it looks the run up again. */
        volatile boolean removed;
        /** Made by the step that last updated it: that step shows the alerts the run's state holds. */
        boolean createdByLastStep;

        Run(String runId) {
            this.runId = runId;
            this.labels = Labels.of(LosswatchMetrics.RUN_ID, runId);
        }
    }

    /** One exported series of a run: its Prometheus name, help and how to read it; NaN is exported as is. */
    private record Series(String name, String help, ToDoubleFunction<Run> value, boolean absentWhenNaN) {}

    private static final List<Series> SERIES = List.of(
            new Series("losswatch_loss", "Latest training loss of the run", r -> r.loss, false),
            new Series("losswatch_step", "Latest training step the monitor has seen for the run", r -> r.step, false),
            new Series(
                    "losswatch_loss_growth_rate", "Fitted growth rate of ln(loss) per step", r -> r.growthRate, false),
            new Series(
                    "losswatch_loss_doubling_steps",
                    "Steps for the loss to double at the fitted rate (+Inf when not growing)",
                    r -> r.doublingSteps,
                    false),
            new Series("losswatch_fit_r2", "R^2 of the growth fit", r -> r.r2, false),
            // optional fields: a series once the trainer has sent the field, none before
            new Series("losswatch_grad_norm", "Latest L2 norm of the mean minibatch gradient", r -> r.gradNorm, true),
            new Series("losswatch_learning_rate", "Latest learning rate of the run", r -> r.learningRate, true),
            new Series(
                    "losswatch_val_loss",
                    "Latest validation loss of the run (sent on the steps where validation ran)",
                    r -> r.valLoss,
                    true));

    static final String ALERT_ACTIVE = "losswatch_alert_active";
    static final String ALERT_CAUSE = "losswatch_alert_cause";
    private static final AlertType[] TYPES = AlertType.values();

    private final Map<String, Run> runs = new ConcurrentHashMap<>();

    /** The run's values, or null before its first step (or after it expired). */
    Run get(String runId) {
        return runs.get(runId);
    }

    Run create(String runId) {
        return runs.computeIfAbsent(runId, Run::new);
    }

    Collection<Run> all() {
        return runs.values();
    }

    boolean remove(String runId, Run run) {
        if (!runs.remove(runId, run)) {
            return false;
        }
        run.removed = true;
        return true;
    }

    int size() {
        return runs.size();
    }

    /**
     * The exported value of one series: {@code name} in Prometheus form, the labels after {@code run_id} as
     * name-value pairs; empty when there is no such sample.
     */
    OptionalDouble sample(String name, String runId, String... labels) {
        Labels wanted = Labels.of(LosswatchMetrics.RUN_ID, runId).merge(Labels.of(labels));
        for (MetricSnapshot m : collect()) {
            if (m.getMetadata().getPrometheusName().equals(name)) {
                for (DataPointSnapshot d : m.getDataPoints()) {
                    if (d.getLabels().equals(wanted)) {
                        return OptionalDouble.of(((GaugeDataPointSnapshot) d).getValue());
                    }
                }
            }
        }
        return OptionalDouble.empty();
    }

    @Override
    public List<String> getPrometheusNames() {
        List<String> names = new ArrayList<>();
        SERIES.forEach(s -> names.add(s.name()));
        names.add(ALERT_ACTIVE);
        names.add(ALERT_CAUSE);
        return names;
    }

    @Override
    public MetricSnapshots collect() {
        List<Run> now = new ArrayList<>(runs.values());
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        for (Series s : SERIES) {
            GaugeSnapshot.Builder g = GaugeSnapshot.builder().name(s.name()).help(s.help());
            for (Run r : now) {
                double v = s.value().applyAsDouble(r);
                if (!(s.absentWhenNaN() && Double.isNaN(v))) {
                    g.dataPoint(point(v, r.labels));
                }
            }
            out.metricSnapshot(g.build());
        }
        GaugeSnapshot.Builder active = GaugeSnapshot.builder()
                .name(ALERT_ACTIVE)
                .help("1 while an alert of this type is firing for the run, else 0");
        GaugeSnapshot.Builder cause = GaugeSnapshot.builder()
                .name(ALERT_CAUSE)
                .help("1 while an alert of this type is firing for the run, labelled with its diagnosed cause; "
                        + "absent otherwise");
        for (Run r : now) {
            for (AlertType t : TYPES) {
                int i = t.ordinal();
                active.dataPoint(point(r.alertActive[i], r.labels.add(LosswatchMetrics.TYPE, t.name())));
                String c = r.cause[i];
                if (c != null) {
                    cause.dataPoint(point(
                            1, r.labels.add(LosswatchMetrics.TYPE, t.name()).add(LosswatchMetrics.CAUSE, c)));
                }
            }
        }
        return out.metricSnapshot(active.build()).metricSnapshot(cause.build()).build();
    }

    private static GaugeDataPointSnapshot point(double value, Labels labels) {
        return GaugeDataPointSnapshot.builder().value(value).labels(labels).build();
    }
}
