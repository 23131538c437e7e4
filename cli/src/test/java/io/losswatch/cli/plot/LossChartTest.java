package io.losswatch.cli.plot;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.Severity;
import io.losswatch.events.StepEvent;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class LossChartTest {
    private static final String RUN = "sgd-lr-too-high";

    /** Flat for 30 steps, then doubling every 5 steps. */
    private static List<StepEvent> diverging() {
        List<StepEvent> steps = new ArrayList<>();
        for (int s = 0; s < 80; s++) {
            double loss = s < 30 ? 2.3 - 0.01 * s : 2.0 * Math.exp(Math.log(2) / 5 * (s - 30));
            steps.add(StepEvent.of(RUN, s, loss));
        }
        return steps;
    }

    private static AlertEvent growthAlert() {
        return new AlertEvent(
                1,
                AlertEvent.alertId(RUN, AlertType.LOSS_EXPONENTIAL_GROWTH, 31),
                RUN,
                AlertType.LOSS_EXPONENTIAL_GROWTH,
                AlertStatus.FIRING,
                Severity.CRITICAL,
                46,
                31,
                Instant.now(),
                Instant.now(),
                new AlertEvent.Fit(16, Math.log(2) / 5, 5.0, 0.99),
                new AlertEvent.Forecast(600, 3.4e38),
                new AlertEvent.Diagnosis(
                        Cause.LEARNING_RATE_TOO_HIGH,
                        0.8,
                        List.of("update_ratio 0.4 > 0.1"),
                        "Lower the learning rate."));
    }

    private static BufferedImage render(RunHistory run) throws Exception {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        LossChart.writePng(run, png, 900, 500);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png.toByteArray()));
        assertThat(img).as("a PNG ImageIO can decode").isNotNull();
        return img;
    }

    private static Set<Integer> colours(BufferedImage img) {
        Set<Integer> out = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                out.add(img.getRGB(x, y));
            }
        }
        return out;
    }

    @Test
    void shouldDrawTheLossTheFittedGrowthAndTheAlertAsAPng() throws Exception {
        BufferedImage img = render(new RunHistory(RUN, diverging(), List.of(growthAlert())));
        assertThat(img.getWidth()).isEqualTo(900);
        assertThat(img.getHeight()).isEqualTo(500);
        assertThat(colours(img)).as("more than a blank canvas").hasSizeGreaterThan(20);
    }

    @Test
    void shouldFitTheLineWithTheAlertsSlopeThroughTheWindow() {
        LossChart.Line line = LossChart.fittedLine(
                        new RunHistory(RUN, diverging(), List.of(growthAlert())), diverging())
                .orElseThrow();
        assertThat(line.b()).isEqualTo(Math.log(2) / 5);
        assertThat(line.from()).isEqualTo(31);
        assertThat(line.to()).isEqualTo(79);
        // the fitted line goes through the exponential part
        assertThat(line.at(40)).isCloseTo(2.0 * Math.pow(2, 2), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(line.label()).contains("doubling every 5.0 steps");
    }

    @Test
    void shouldDrawNoFitWithoutAGrowthAlert() throws Exception {
        List<StepEvent> steps = new ArrayList<>(diverging());
        steps.add(StepEvent.of(RUN, 80, Double.NaN));
        RunHistory run = new RunHistory(RUN, steps, List.of(alert(AlertType.TRAINING_COLLAPSED, 60)));

        assertThat(LossChart.fittedLine(
                        run,
                        steps.stream().filter(e -> Double.isFinite(e.loss())).toList()))
                .isEmpty();
        assertThat(LossChart.subtitle(new RunHistory(RUN, steps, List.of()))).contains("no alerts");
        render(run);
    }

    @Test
    void shouldLabelAtLeastThreeTicksOfATenfoldRange() {
        List<LossChart.Tick> ticks = LossChart.ticks(2.0, 24);

        assertThat(ticks.stream().filter(LossChart.Tick::labelled).map(LossChart.Tick::label))
                .containsExactly("2", "5", "10", "20");
        assertThat(ticks.stream().filter(t -> !t.labelled())).as("minor ticks").isNotEmpty();
    }

    @Test
    void shouldLabelEveryDecadeOfAWideRangeReadably() {
        List<String> labels = LossChart.ticks(1e-3, 1e5).stream()
                .filter(LossChart.Tick::labelled)
                .map(LossChart.Tick::label)
                .toList();

        assertThat(labels).containsExactly("0.001", "0.01", "0.1", "1", "10", "100", "1000", "10000", "1e5");
    }

    @Test
    void shouldThinOutTheLabelsOfAHugeRange() {
        long labelled = LossChart.ticks(1e-2, 1e30).stream()
                .filter(LossChart.Tick::labelled)
                .count();

        assertThat(labelled).isBetween(3L, 9L);
    }

    @Test
    void shouldLabelANarrowRangeWithEveryMantissa() {
        assertThat(LossChart.ticks(1.1, 1.95).stream().map(LossChart.Tick::label))
                .containsExactly("1.2", "1.4", "1.6", "1.8");
        assertThat(LossChart.ticks(1.5, 4.5).stream()
                        .filter(LossChart.Tick::labelled)
                        .map(LossChart.Tick::label))
                .containsExactly("2", "3", "4");
    }

    @Test
    void shouldDrawTheValidationLossAsItsOwnSeries() {
        List<StepEvent> steps = new ArrayList<>();
        for (int s = 0; s < 50; s++) {
            StepEvent e = StepEvent.of(RUN, s, 2.0 - 0.01 * s);
            if (s % 10 == 0) {
                e = new StepEvent(
                        e.schema(),
                        e.runId(),
                        e.step(),
                        e.time(),
                        e.loss(),
                        e.gradNorm(),
                        e.layerGradNorms(),
                        e.learningRate(),
                        e.paramNorm(),
                        e.updateRatio(),
                        2.5,
                        e.epoch(),
                        e.labels(),
                        e.resumedFrom());
            }
            steps.add(e);
        }

        org.jfree.chart.JFreeChart chart = LossChart.chart(new RunHistory(RUN, steps, List.of()));

        org.jfree.data.xy.XYDataset data = chart.getXYPlot().getDataset();
        assertThat(data.getSeriesCount()).isEqualTo(2);
        assertThat(data.getSeriesKey(1)).isEqualTo("val_loss");
        assertThat(data.getItemCount(1)).isEqualTo(5);
    }

    @Test
    void shouldNumberEachAlertAndExplainItBelowTheChartInWords() {
        assertThat(LossChart.legendLine(2, alert(AlertType.LOSS_NON_FINITE, 60)))
                .isEqualTo("2  step 60: loss NaN/infinite (since step 55)")
                .doesNotContain("_");
    }

    private static AlertEvent alert(AlertType type, long step) {
        return new AlertEvent(
                1,
                AlertEvent.alertId(RUN, type, step - 5),
                RUN,
                type,
                AlertStatus.FIRING,
                Severity.CRITICAL,
                step,
                step - 5,
                Instant.now(),
                Instant.now(),
                null,
                null,
                null);
    }
}
