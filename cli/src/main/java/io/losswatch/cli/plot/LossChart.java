package io.losswatch.cli.plot;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.StepEvent;
import io.losswatch.notify.AlertWording;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.axis.ValueTick;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.HorizontalAlignment;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The picture of a run: loss per step on a log axis (exponential growth is a straight line there),
 * the validation loss where it was measured, the growth fit of a LOSS_EXPONENTIAL_GROWTH alert (the
 * only alert whose fit describes the loss curve), and each alert as a numbered line, explained
 * below the chart so that labels never collide.
 */
public final class LossChart {
    static {
        // before any AWT class loads: the command runs on servers and in CI without a display
        System.setProperty("java.awt.headless", "true");
    }

    private static final Color LOSS = new Color(31, 119, 180);
    private static final Color VAL_LOSS = new Color(255, 127, 14);
    private static final Color FIT = new Color(214, 39, 40);
    private static final Color ALERT = new Color(200, 0, 0);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.BOLD, 12);
    /** Alert numbers above the plot are staggered over this many rows, so close alerts stay readable. */
    private static final int LABEL_ROWS = 3;

    private LossChart() {}

    /** A fitted line ln(loss) = a + b*step, drawn from {@code from} to {@code to}. */
    record Line(double a, double b, long from, long to, String label) {
        double at(double step) {
            return Math.exp(a + b * step);
        }
    }

    /** A tick of the log axis: labelled ticks carry their text, minor ones an empty label. */
    record Tick(double value, String label) {
        boolean labelled() {
            return !label.isEmpty();
        }
    }

    public static JFreeChart chart(RunHistory run) {
        List<StepEvent> plotted = run.steps().stream()
                .filter(e -> Double.isFinite(e.loss()) && e.loss() > 0)
                .toList();
        XYSeriesCollection data = new XYSeriesCollection();
        XYSeries loss = new XYSeries("loss", true, false);
        plotted.forEach(e -> loss.add(e.step(), e.loss()));
        data.addSeries(loss);
        XYSeries val = new XYSeries("val_loss", true, false);
        run.steps().stream()
                .filter(e -> e.valLoss() != null && Double.isFinite(e.valLoss()) && e.valLoss() > 0)
                .forEach(e -> val.add(e.step(), e.valLoss()));
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        r.setSeriesPaint(0, LOSS);
        r.setSeriesStroke(0, new BasicStroke(2f));
        int next = 1;
        if (val.getItemCount() > 0) {
            data.addSeries(val);
            r.setSeriesPaint(next, VAL_LOSS);
            r.setSeriesStroke(next, new BasicStroke(2f));
            // validation runs every few steps: the points show where it was measured
            r.setSeriesShapesVisible(next, true);
            next++;
        }
        Optional<Line> line = fittedLine(run, plotted);
        if (line.isPresent()) {
            Line l = line.get();
            XYSeries s = new XYSeries(l.label(), true, false);
            int n = 40;
            for (int i = 0; i <= n; i++) {
                double step = l.from() + (l.to() - l.from()) * (double) i / n;
                s.add(step, l.at(step));
            }
            data.addSeries(s);
            r.setSeriesPaint(next, FIT);
            r.setSeriesStroke(
                    next,
                    new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
        }

        NumberAxis x = new NumberAxis("step");
        x.setAutoRangeIncludesZero(false);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        LogAxis y = new ReadableLogAxis("loss (log scale)");
        y.setSmallestValue(1e-12);
        y.setMinorTickMarksVisible(true);
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(220, 220, 220));
        plot.setRangeGridlinePaint(new Color(200, 200, 200));
        plot.setRangeMinorGridlinesVisible(true);
        plot.setRangeMinorGridlinePaint(new Color(238, 238, 238));
        List<String> legend = markAlerts(run, plot);
        markNonFinite(run, plot);

        JFreeChart chart = new JFreeChart("Run " + run.runId(), new Font(Font.SANS_SERIF, Font.BOLD, 18), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(new TextTitle(subtitle(run), new Font(Font.SANS_SERIF, Font.PLAIN, 13)));
        // bottom titles stack upwards: add the last first, so that they read 1, 2, 3 from the top
        for (int i = legend.size() - 1; i >= 0; i--) {
            String entry = legend.get(i);
            TextTitle t = new TextTitle(entry, new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            t.setPosition(RectangleEdge.BOTTOM);
            t.setHorizontalAlignment(HorizontalAlignment.LEFT);
            t.setPaint(ALERT);
            t.setPadding(new RectangleInsets(1, 12, 1, 12));
            chart.addSubtitle(t);
        }
        return chart;
    }

    public static void writePng(RunHistory run, OutputStream out, int width, int height) throws IOException {
        ChartUtils.writeChartAsPNG(out, chart(run), width, height);
    }

    /**
     * Ticks of a log axis from {@code lower} to {@code upper}: every 1..9 x 10^k as a minor tick, and
     * labels on enough of them to read a value off: 1, 2 and 5 x 10^k over up to 2.5 decades (three
     * labels or more for a tenfold range), every decade up to 8, every few decades beyond.
     */
    static List<Tick> ticks(double lower, double upper) {
        List<Tick> out = new ArrayList<>();
        if (!(lower > 0) || !(upper > lower) || !Double.isFinite(upper)) {
            return out;
        }
        double decades = Math.log10(upper / lower);
        int first = (int) Math.floor(Math.log10(lower));
        int last = (int) Math.ceil(Math.log10(upper));
        Set<Integer> labelledMantissas = decades <= 2.5 ? Set.of(1, 2, 5) : Set.of(1);
        int decadeStep = decades <= 8 ? 1 : (int) Math.ceil(decades / 8);
        boolean minors = decades <= 8;
        for (int k = first; k <= last; k++) {
            for (int m = 1; m <= 9; m++) {
                if (m > 1 && !minors) {
                    break;
                }
                double v = m * Math.pow(10, k);
                if (v < lower || v > upper) {
                    continue;
                }
                boolean labelled = labelledMantissas.contains(m) && Math.floorMod(k, decadeStep) == 0;
                out.add(new Tick(v, labelled ? label(m, k) : ""));
            }
        }
        if (out.stream().filter(Tick::labelled).count() < 3 && decades <= 2.5) {
            // a narrow range (1.2 to 1.9): label every mantissa instead
            List<Tick> all = new ArrayList<>();
            out.forEach(t -> all.add(new Tick(t.value(), format(t.value()))));
            return all.size() >= 3 ? all : linearTicks(lower, upper);
        }
        return out;
    }

    /** Under half a decade a log axis is nearly linear: about five round values, all labelled. */
    private static List<Tick> linearTicks(double lower, double upper) {
        double raw = (upper - lower) / 5;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / magnitude < 1.5 ? magnitude : raw / magnitude < 3.5 ? 2 * magnitude : 5 * magnitude;
        List<Tick> out = new ArrayList<>();
        for (long i = (long) Math.ceil(lower / step); i * step <= upper; i++) {
            out.add(new Tick(i * step, format(i * step)));
        }
        return out;
    }

    private static String label(int mantissa, int exponent) {
        return format(mantissa * Math.pow(10, exponent));
    }

    /** 0.002, 20, 5000 as they are; outside 0.001..99999 as 2e-5, 1e12. */
    static String format(double v) {
        int k = (int) Math.floor(Math.log10(v) + 1e-9);
        if (k >= -3 && k <= 4) {
            return new BigDecimal(v)
                    .round(new java.math.MathContext(2))
                    .stripTrailingZeros()
                    .toPlainString();
        }
        double m = v / Math.pow(10, k);
        String mantissa = new BigDecimal(m)
                .round(new java.math.MathContext(2))
                .stripTrailingZeros()
                .toPlainString();
        return mantissa + "e" + k;
    }

    /** A log axis with {@link #ticks}: JFreeChart's own labels only whole powers of the base. */
    private static final class ReadableLogAxis extends LogAxis {
        private static final long serialVersionUID = 1L;

        ReadableLogAxis(String label) {
            super(label);
        }

        @Override
        protected List refreshTicksVertical(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
            List<ValueTick> out = new ArrayList<>();
            for (Tick t : ticks(getLowerBound(), getUpperBound())) {
                out.add(new NumberTick(
                        t.labelled() ? TickType.MAJOR : TickType.MINOR,
                        t.value(),
                        t.label(),
                        TextAnchor.CENTER_RIGHT,
                        TextAnchor.CENTER,
                        0.0));
            }
            return out;
        }
    }

    /** The growth fit of the run's LOSS_EXPONENTIAL_GROWTH alert, if it has one. */
    static Optional<Line> fittedLine(RunHistory run, List<StepEvent> plotted) {
        if (plotted.size() < 2) {
            return Optional.empty();
        }
        long last = plotted.get(plotted.size() - 1).step();
        Optional<AlertEvent> withFit = run.alerts().stream()
                .filter(a -> a.status() == AlertStatus.FIRING
                        && a.type() == AlertType.LOSS_EXPONENTIAL_GROWTH
                        && a.fit() != null
                        && Double.isFinite(a.fit().growthRatePerStep())
                        && a.fit().windowSteps() >= 2)
                .findFirst();
        if (withFit.isEmpty()) {
            return Optional.empty();
        }
        AlertEvent a = withFit.get();
        double b = a.fit().growthRatePerStep();
        long from = a.step() - a.fit().windowSteps() + 1;
        // the alert gives the slope; the intercept is the least-squares one for that slope
        double sum = 0;
        int n = 0;
        for (StepEvent e : plotted) {
            if (e.step() >= from && e.step() <= a.step()) {
                sum += Math.log(e.loss()) - b * e.step();
                n++;
            }
        }
        if (n == 0) {
            return Optional.empty();
        }
        return Optional.of(new Line(
                sum / n,
                b,
                Math.max(from, plotted.get(0).step()),
                Math.max(last, a.step()),
                String.format(
                        Locale.ROOT,
                        "growth fit of the alert: doubling every %.1f steps",
                        a.fit().doublingSteps())));
    }

    /** Numbers each alert's line and returns the lines that explain the numbers, in the same order. */
    private static List<String> markAlerts(RunHistory run, XYPlot plot) {
        Set<AlertType> seen = new HashSet<>();
        List<String> legend = new ArrayList<>();
        for (AlertEvent a : run.alerts()) {
            if (a.status() != AlertStatus.FIRING || !seen.add(a.type())) {
                continue;
            }
            int number = legend.size() + 1;
            if (a.onsetStep() < a.step()) {
                IntervalMarker onset = new IntervalMarker(a.onsetStep(), a.step());
                onset.setPaint(new Color(255, 0, 0, 28));
                plot.addDomainMarker(onset, Layer.BACKGROUND);
            }
            ValueMarker m = new ValueMarker(a.step());
            m.setPaint(ALERT);
            m.setStroke(new BasicStroke(1.5f));
            m.setLabel(Integer.toString(number));
            m.setLabelFont(LABEL);
            m.setLabelPaint(ALERT);
            m.setLabelAnchor(RectangleAnchor.TOP_LEFT);
            m.setLabelTextAnchor(TextAnchor.TOP_RIGHT);
            m.setLabelBackgroundColor(Color.WHITE);
            // one of LABEL_ROWS rows at the top, so that the numbers of neighbouring alerts do not overlap
            m.setLabelOffset(new RectangleInsets(4 + 16 * ((number - 1) % LABEL_ROWS), 3, 0, 3));
            plot.addDomainMarker(m);
            legend.add(legendLine(number, a));
        }
        return legend;
    }

    static String legendLine(int number, AlertEvent a) {
        return String.format(
                Locale.ROOT,
                "%d  step %d: %s%s",
                number,
                a.step(),
                AlertWording.shortName(a.type()),
                a.onsetStep() < a.step() ? " (since step " + a.onsetStep() + ")" : "");
    }

    private static void markNonFinite(RunHistory run, XYPlot plot) {
        run.steps().stream().filter(e -> !Double.isFinite(e.loss())).findFirst().ifPresent(e -> {
            ValueMarker m = new ValueMarker(e.step());
            m.setPaint(Color.DARK_GRAY);
            m.setStroke(
                    new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {3f, 3f}, 0f));
            m.setLabel("loss " + e.loss() + " from step " + e.step());
            m.setLabelAnchor(RectangleAnchor.BOTTOM_LEFT);
            m.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
            plot.addDomainMarker(m);
        });
    }

    static String subtitle(RunHistory run) {
        List<String> parts = new ArrayList<>();
        parts.add(run.steps().size() + " steps");
        run.alerts().stream()
                .filter(a -> a.status() == AlertStatus.FIRING)
                .findFirst()
                .ifPresentOrElse(
                        a -> {
                            parts.add("first alert at step " + a.step() + ": " + AlertWording.shortName(a.type()));
                            if (a.diagnosis() != null) {
                                parts.add("likely cause: "
                                        + AlertWording.cause(a.diagnosis().cause()));
                            }
                            if (a.forecast() != null
                                    && Double.isFinite(a.forecast().stepsToOverflow())) {
                                parts.add(String.format(
                                        Locale.ROOT,
                                        "overflow in ~%.0f steps",
                                        a.forecast().stepsToOverflow()));
                            }
                        },
                        () -> parts.add("no alerts"));
        return String.join(" · ", parts);
    }
}
