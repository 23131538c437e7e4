package io.losswatch.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.losswatch.events.Cause;
import io.losswatch.events.StepEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

class BaselinesTest {

    private static BenchRun run(String name, boolean diverging, long onset, int steps, IntToDoubleFunction loss) {
        List<StepEvent> events = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            events.add(StepEvent.of(name, i, loss.applyAsDouble(i)));
        }
        return new BenchRun(name, "test", diverging, onset, diverging ? Cause.LEARNING_RATE_TOO_HIGH : null, events);
    }

    @Test
    void shouldGiveTheExactRateOfAPureExponentialAsTheDerivOfItsLog() {
        double[] d = Baselines.DerivRule.derivs(run("e", true, 0, 50, i -> 3 * Math.exp(0.07 * i)), 8);
        assertThat(d[0]).isNaN(); // one sample is no slope
        for (int i = 1; i < d.length; i++) {
            assertThat(d[i]).isCloseTo(0.07, within(1e-9));
        }
    }

    @Test
    void shouldTuneTheThresholdJustAboveTheHighestHealthyLoss() {
        BenchRun healthy = run("h", false, -1, 100, i -> i == 50 ? 42.0 : 1.0);
        BenchRun diverging = run("d", true, 10, 100, i -> i < 10 ? 1.0 : Math.exp(0.1 * (i - 10)));
        Baselines.Threshold t = Baselines.Threshold.tune(List.of(healthy, diverging));
        assertThat(t.threshold()).isEqualTo(42.0);
        assertThat(t.run(healthy)).isEmpty();
        // exp(0.1 (i - 10)) > 42 first at i = 48
        assertThat(t.run(diverging)).extracting(RunDetector.Firing::step).containsExactly(48L);
    }

    @Test
    void shouldTuneTheDerivRuleToTheLowestRateWithoutAFalseAlarm() {
        // healthy: one spike; its deriv is high only while the spike is in the window
        BenchRun healthy = run("h", false, -1, 300, i -> i == 100 ? 50.0 : 1.0);
        BenchRun diverging = run("d", true, 100, 300, i -> i < 100 ? 1.0 : Math.exp(0.05 * (i - 100)));
        Baselines.DerivRule rule = Baselines.DerivRule.tune(List.of(healthy, diverging));
        assertThat(rule.run(healthy)).isEmpty();
        assertThat(rule.run(diverging)).hasSize(1);
        assertThat(rule.rate()).isLessThan(0.05);
    }

    @Test
    void shouldScoreRecallFalseAlarmsDelaysLeadAndCause() {
        BenchRun healthy = run("h", false, -1, 100, i -> 1.0);
        BenchRun slow = run("s", true, 10, 100, i -> i < 10 ? 1.0 : Math.exp(0.1 * (i - 10)));
        BenchRun nan = run("n", true, 20, 40, i -> i < 20 ? 1.0 : i < 35 ? Math.exp(0.5 * (i - 20)) : Double.NaN);
        RunDetector fake = new RunDetector() {
            @Override
            public String name() {
                return "fake";
            }

            @Override
            public boolean diagnoses() {
                return true;
            }

            @Override
            public List<Firing> run(BenchRun r) {
                return switch (r.name()) {
                    case "h" -> List.of(new Firing(5, "x", Cause.UNKNOWN));
                    case "s" ->
                        List.of(new Firing(5, "x", Cause.UNKNOWN), new Firing(30, "x", Cause.LEARNING_RATE_TOO_HIGH));
                    default -> List.of(new Firing(25, "x", Cause.DATA_ISSUE));
                };
            }
        };
        Scorer.Row row = Scorer.score(fake, List.of(healthy, slow, nan));
        assertThat(row.caught()).isEqualTo(2);
        assertThat(row.early()).isEqualTo(1); // "s" was alerted at 5, before its onset at 10
        assertThat(row.falseAlarms()).isEqualTo(1);
        assertThat(row.medianDelay()).isEqualTo(5); // delays 20 and 5: nearest rank
        assertThat(row.p90Delay()).isEqualTo(20);
        assertThat(row.nanEnding()).isEqualTo(1);
        assertThat(row.nanBefore()).isEqualTo(1);
        assertThat(row.medianLead()).isEqualTo(10); // NaN at 35, alert at 25
        assertThat(row.causeKnown()).isEqualTo(2);
        assertThat(row.causeRight()).isEqualTo(1);
    }
}
