package io.losswatch.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.StepEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A monitor upgraded on a state directory written by an earlier release keeps every run's windows
 * and open alerts: run states in the earlier formats (9, 8, 7, 6, 5, 4 and 3), written by the release of each
 * part way through a run (mid-alert, with every field), are read back and the run continued; the
 * alerts must be those recorded for the same bytes: the writing release's, recorded again only where a
 * change of the detection or of its evidence meant to change them. The bytes and the alerts are in
 * {@code src/test/resources/run-state/}.
 * A continued run must also give the same alerts after going through the current format.
 */
class RunStateUpgradeTest {
    private static final String DIR = "/run-state/";
    private static final double LN10 = Math.log(10);

    /** A run: its events, and the step at which its state was written. */
    record Scenario(String name, int writtenAt, int steps, IntFunction<StepEvent> event) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Scenario> scenarios() {
        return List.of(
                new Scenario("growth-everything", 460, 760, RunStateUpgradeTest::growth),
                new Scenario("blowup-collapse", 12, 300, RunStateUpgradeTest::collapse),
                new Scenario("validation-divergence", 800, 1200, RunStateUpgradeTest::validation),
                new Scenario("non-finite-gradient", 102, 400, RunStateUpgradeTest::nonFiniteGradient),
                new Scenario("non-finite-loss", 202, 400, RunStateUpgradeTest::nonFiniteLoss),
                new Scenario("healthy-everything", 1000, 1300, RunStateUpgradeTest::healthy));
    }

    static List<Object[]> cases() {
        List<Object[]> c = new ArrayList<>();
        for (Scenario s : scenarios()) {
            c.add(new Object[] {s, 9});
            c.add(new Object[] {s, 8});
            c.add(new Object[] {s, 7});
            c.add(new Object[] {s, 6});
            c.add(new Object[] {s, 5});
            c.add(new Object[] {s, 4});
            c.add(new Object[] {s, 3});
        }
        return c;
    }

    @ParameterizedTest(name = "{0} format {1}")
    @MethodSource("cases")
    void shouldContinueARunFromTheStateAnEarlierReleaseWrote(Scenario scenario, int format) throws IOException {
        String base = scenario.name() + ".v" + format;
        Detector detector = new Detector(DetectorConfig.defaults());
        byte[] bytes = resource(base + ".bin");
        RunState s = RunState.fromBytes(bytes, DetectorConfig.defaults());
        assertThat(s.lastStep()).isEqualTo(scenario.writtenAt() - 1);
        // and the same run through the current format, on every step
        RunState viaBytes = RunState.fromBytes(s.toBytes(), DetectorConfig.defaults());
        StringBuilder actual = new StringBuilder();
        StringBuilder actualViaBytes = new StringBuilder();
        for (int i = scenario.writtenAt(); i < scenario.steps(); i++) {
            StepEvent e = scenario.event().apply(i);
            for (AlertEvent a :
                    detector.onStep(s, e, Instant.EPOCH, Instant.EPOCH).alerts()) {
                actual.append(describe(a)).append('\n');
            }
            for (AlertEvent a :
                    detector.onStep(viaBytes, e, Instant.EPOCH, Instant.EPOCH).alerts()) {
                actualViaBytes.append(describe(a)).append('\n');
            }
            viaBytes = RunState.fromBytes(viaBytes.toBytes(), DetectorConfig.defaults());
        }
        assertThat(actualViaBytes.toString()).isEqualTo(actual.toString());
        assertThat(actual.toString()).isEqualTo(new String(resource(base + ".alerts.txt"), StandardCharsets.UTF_8));
    }

    static String describe(AlertEvent a) {
        String fit = a.fit() == null
                ? ""
                : String.format(
                        Locale.ROOT,
                        " fit %d %s %s",
                        a.fit().windowSteps(),
                        Double.toString(a.fit().growthRatePerStep()),
                        Double.toString(a.fit().r2()));
        return String.format(
                Locale.ROOT,
                "%s %s %s step %d onset %d id %s cause %s %s%s %s",
                a.status(),
                a.type(),
                a.severity(),
                a.step(),
                a.onsetStep(),
                a.alertId(),
                a.diagnosis().cause(),
                a.diagnosis().confidence(),
                fit,
                a.diagnosis().evidence());
    }

    private static byte[] resource(String name) {
        try (InputStream in = RunStateUpgradeTest.class.getResourceAsStream(DIR + name)) {
            assertThat(in).as(DIR + name).isNotNull();
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ the runs

    private static double noise(String run, int i, double sd) {
        return sd * new Random(run.hashCode() * 1_000_003L + i).nextGaussian();
    }

    private static StepEvent event(
            String run, int i, double loss, Double grad, Double lr, Double ratio, Double val, Map<String, String> l) {
        return new StepEvent(1, run, i, null, loss, grad, null, lr, 20.0, ratio, val, null, l, null);
    }

    /** Adam with every field; the loss and gradients grow from step 400, and come back at 560. */
    static StepEvent growth(int i) {
        double ln = Math.log(2.0) - i / 300.0 + noise("g", i, 0.1);
        if (i >= 400 && i < 560) {
            ln += 0.04 * (i - 400);
        }
        double g = Math.log(1.5) + noise("gg", i, 0.2) + (i >= 420 && i < 560 ? 0.05 * (i - 420) : 0);
        double lr = i < 200 ? 1e-3 : i < 300 ? 1e-4 : 1e-3; // a warm restart at 300
        Map<String, String> labels = i == 0 ? Map.of("optimizer", "adam", "num_classes", "10") : Map.of();
        return event(
                "growth-everything",
                i,
                Math.exp(ln),
                Math.exp(g),
                lr,
                1e-3 * Math.exp(noise("u", i, 0.2)),
                i % 10 == 0 ? Math.exp(ln + 0.1) : null,
                labels);
    }

    /** Adam at lr 1: chance level, a jump of 200x at step 5, then chance level with dead gradients until step 150. */
    static StepEvent collapse(int i) {
        double ln = Math.log(LN10) + noise("c", i, 0.01);
        if (i >= 5 && i < 9) {
            ln = Math.log(500) + noise("c", i, 0.3);
        } else if (i >= 150) {
            ln = Math.log(0.5) + noise("c", i, 0.05); // learns again
        }
        double grad = i < 5 ? 1.0 * Math.exp(noise("cg", i, 0.1)) : i < 9 ? 1e3 : 1e-3 * Math.exp(noise("cg", i, 0.1));
        Map<String, String> labels = Map.of("optimizer", "adam", "num_classes", "10");
        return event("blowup-collapse", i, Math.exp(ln), grad, 1.0, null, null, labels);
    }

    /** Training loss keeps falling; the validation loss turns up at step 900. */
    static StepEvent validation(int i) {
        double train = Math.log(1.5) - i / 800.0 + noise("v", i, 0.05);
        Double val = null;
        if (i % 5 == 0) {
            double v = Math.log(1.6) - Math.min(i, 900) / 800.0 + Math.max(0, i - 900) / 400.0 + noise("vv", i, 0.02);
            val = Math.exp(v);
        }
        return event("validation-divergence", i, Math.exp(train), null, 0.01, null, val, Map.of("optimizer", "sgd"));
    }

    /** Healthy gradients, then non-finite ones from step 100 on for three steps. */
    static StepEvent nonFiniteGradient(int i) {
        double loss = Math.exp(Math.log(1.2) - i / 1000.0 + noise("n", i, 0.05));
        double grad = i >= 100 && i < 103 ? Double.NaN : Math.exp(noise("ng", i, 0.2));
        return event("non-finite-gradient", i, loss, grad, 0.1, null, null, Map.of());
    }

    /** A healthy loss that turns NaN for three steps at 199. */
    static StepEvent nonFiniteLoss(int i) {
        double loss = i >= 199 && i < 202 ? Double.NaN : Math.exp(Math.log(0.8) - i / 900.0 + noise("l", i, 0.05));
        return event("non-finite-loss", i, loss, null, null, null, null, Map.of());
    }

    /** The run the size test measures: every field, 1,000 steps. */
    static StepEvent healthy(int i) {
        return event(
                "healthy-everything",
                i,
                1 + Math.sin(i),
                1.0 + Math.cos(i),
                0.001,
                0.001,
                i % 10 == 0 ? 1.0 : null,
                Map.of("optimizer", "adam"));
    }
}
