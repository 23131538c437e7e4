package io.losswatch.cli.plot;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.StepEvent;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.OutputStream;
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
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.chart.util.LogFormat;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The picture of a run: loss per step on a log axis (exponential growth is a straight line there),
 * the fitted growth of the first alert that carries a fit (or of the last steps when none does),
 * the alerts as vertical lines and the span from onset to detection shaded.
 */
public final class LossChart {
    static {
        // before any AWT class loads: the command runs on servers and in CI without a display
        System.setProperty("java.awt.headless", "true");
    }

    /** Steps fitted when no alert carries a fit. */
    static final int FALLBACK_WINDOW = 32;

    private static final Color LOSS = new Color(31, 119, 180);
    private static final Color FIT = new Color(214, 39, 40);
    private static final Color ALERT = new Color(200, 0, 0);

    private LossChart() {}

    /** A fitted line ln(loss) = a + b*step, drawn from {@code from} to {@code to}. */
    record Line(double a, double b, long from, long to, String label) {
        double at(double step) {
            return Math.exp(a + b * step);
        }
    }

    public static JFreeChart chart(RunHistory run) {
        List<StepEvent> plotted = run.steps().stream()
                .filter(e -> Double.isFinite(e.loss()) && e.loss() > 0)
                .toList();
        XYSeries loss = new XYSeries("loss", true, false);
        plotted.forEach(e -> loss.add(e.step(), e.loss()));
        XYSeriesCollection data = new XYSeriesCollection(loss);
        Optional<Line> line = fittedLine(run, plotted);
        line.ifPresent(l -> {
            XYSeries s = new XYSeries(l.label(), true, false);
            int n = 40;
            for (int i = 0; i <= n; i++) {
                double step = l.from() + (l.to() - l.from()) * (double) i / n;
                s.add(step, l.at(step));
            }
            data.addSeries(s);
        });

        NumberAxis x = new NumberAxis("step");
        x.setAutoRangeIncludesZero(false);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        LogAxis y = new LogAxis("loss (log scale)");
        y.setBase(10);
        LogFormat decades = new LogFormat(10, "10", "^", true);
        decades.setExponentFormat(new java.text.DecimalFormat("0"));
        y.setNumberFormatOverride(decades);
        y.setSmallestValue(1e-12);
        // whole decades only: 10^2, 10^3 rather than 10^2.5
        y.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        r.setSeriesPaint(0, LOSS);
        r.setSeriesStroke(0, new BasicStroke(2f));
        r.setSeriesPaint(1, FIT);
        r.setSeriesStroke(
                1, new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(220, 220, 220));
        plot.setRangeGridlinePaint(new Color(220, 220, 220));
        markAlerts(run, plot);
        markNonFinite(run, plot);

        JFreeChart chart = new JFreeChart("Run " + run.runId(), new Font(Font.SANS_SERIF, Font.BOLD, 18), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(new TextTitle(subtitle(run), new Font(Font.SANS_SERIF, Font.PLAIN, 13)));
        return chart;
    }

    public static void writePng(RunHistory run, OutputStream out, int width, int height) throws IOException {
        ChartUtils.writeChartAsPNG(out, chart(run), width, height);
    }

    static Optional<Line> fittedLine(RunHistory run, List<StepEvent> plotted) {
        if (plotted.size() < 2) {
            return Optional.empty();
        }
        long last = plotted.get(plotted.size() - 1).step();
        Optional<AlertEvent> withFit = run.alerts().stream()
                .filter(a -> a.status() == AlertStatus.FIRING
                        && a.fit() != null
                        && Double.isFinite(a.fit().growthRatePerStep())
                        && a.fit().windowSteps() >= 2)
                .min((p, q) -> Integer.compare(priority(p.type()), priority(q.type())));
        if (withFit.isPresent()) {
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
            if (n > 0) {
                return Optional.of(new Line(
                        sum / n,
                        b,
                        Math.max(from, plotted.get(0).step()),
                        Math.max(last, a.step()),
                        String.format(
                                Locale.ROOT,
                                "fitted growth (%s): doubling every %.1f steps, R² %.2f",
                                a.type(),
                                a.fit().doublingSteps(),
                                a.fit().r2())));
            }
        }
        List<StepEvent> tail = plotted.subList(Math.max(0, plotted.size() - FALLBACK_WINDOW), plotted.size());
        if (tail.size() < 4) {
            return Optional.empty();
        }
        double mx = 0;
        double my = 0;
        for (StepEvent e : tail) {
            mx += e.step();
            my += Math.log(e.loss());
        }
        mx /= tail.size();
        my /= tail.size();
        double sxy = 0;
        double sxx = 0;
        for (StepEvent e : tail) {
            sxy += (e.step() - mx) * (Math.log(e.loss()) - my);
            sxx += (e.step() - mx) * (e.step() - mx);
        }
        double b = sxx == 0 ? 0 : sxy / sxx;
        return Optional.of(new Line(
                my - b * mx,
                b,
                tail.get(0).step(),
                last,
                String.format(
                        Locale.ROOT, "fit of the last %d steps: ln(loss) changes %+.4f per step", tail.size(), b)));
    }

    /** The loss's own growth fit is the one to draw when a run has several alerts. */
    private static int priority(AlertType t) {
        return t == AlertType.LOSS_EXPONENTIAL_GROWTH ? 0 : 1;
    }

    private static void markAlerts(RunHistory run, XYPlot plot) {
        Set<AlertType> seen = new HashSet<>();
        int row = 0;
        for (AlertEvent a : run.alerts()) {
            if (a.status() != AlertStatus.FIRING || !seen.add(a.type())) {
                continue;
            }
            if (a.onsetStep() < a.step()) {
                IntervalMarker onset = new IntervalMarker(a.onsetStep(), a.step());
                onset.setPaint(new Color(255, 0, 0, 28));
                plot.addDomainMarker(onset, Layer.BACKGROUND);
            }
            ValueMarker m = new ValueMarker(a.step());
            m.setPaint(ALERT);
            m.setStroke(new BasicStroke(1.5f));
            m.setLabel(String.format(
                    Locale.ROOT,
                    "%s at step %d%s",
                    a.type(),
                    a.step(),
                    a.onsetStep() < a.step() ? " (onset " + a.onsetStep() + ")" : ""));
            m.setLabelFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
            m.setLabelPaint(ALERT);
            m.setLabelAnchor(row % 2 == 0 ? RectangleAnchor.TOP_RIGHT : RectangleAnchor.BOTTOM_RIGHT);
            m.setLabelTextAnchor(row % 2 == 0 ? TextAnchor.TOP_LEFT : TextAnchor.BOTTOM_LEFT);
            m.setLabelOffset(new org.jfree.chart.ui.RectangleInsets(4 + 16 * (row / 2), 4, 4, 4));
            plot.addDomainMarker(m);
            row++;
        }
    }

    private static void markNonFinite(RunHistory run, XYPlot plot) {
        run.steps().stream().filter(e -> !Double.isFinite(e.loss())).findFirst().ifPresent(e -> {
            ValueMarker m = new ValueMarker(e.step());
            m.setPaint(Color.DARK_GRAY);
            m.setStroke(
                    new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {3f, 3f}, 0f));
            m.setLabel("loss " + e.loss() + " from step " + e.step());
            m.setLabelAnchor(RectangleAnchor.BOTTOM_RIGHT);
            m.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
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
                            parts.add("first alert " + a.type() + " at step " + a.step());
                            if (a.diagnosis() != null) {
                                parts.add(String.format(
                                        Locale.ROOT,
                                        "likely cause %s (%.0f%%)",
                                        a.diagnosis().cause(),
                                        100 * a.diagnosis().confidence()));
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
