package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class ScenarioTest {

    @Test
    void shouldPairEveryDivergingScenarioWithAHealthyCounterpartOfTheSameFamily() {
        for (Scenario s : Scenario.values()) {
            Scenario other = Scenario.parse(s.counterpart());
            assertThat(other.family()).as(s.label()).isEqualTo(s.family());
            assertThat(other.diverges()).as(s.label()).isNotEqualTo(s.diverges());
            assertThat(Scenario.parse(other.counterpart())).isEqualTo(s);
        }
        assertThat(Arrays.stream(Scenario.values()).map(Scenario::family).distinct())
                .containsExactlyInAnyOrder("learning-rate", "regularization", "optimizer");
    }

    @Test
    void shouldApplyTheMeasuredSettings() {
        TrainConfig base = TrainConfig.defaults("s");
        TrainConfig adam = Scenario.LR_ADAM_TOO_HIGH.apply(base);
        assertThat(adam.optimizer()).isEqualTo(LeNet.Optimizer.ADAM);
        assertThat(adam.learningRate()).isEqualTo(1.0);
        TrainConfig linear = Scenario.parse("lr-exponential-linear").apply(base);
        assertThat(linear.architecture()).isEqualTo(Architecture.LINEAR);
        assertThat(linear.learningRate()).isEqualTo(0.1);
        TrainConfig overfit = Scenario.OVERFIT.apply(base);
        assertThat(overfit.examples()).isEqualTo(256);
        assertThat(overfit.validateEvery()).isEqualTo(10);
        assertThat(overfit.l2()).isZero();
        assertThat(Scenario.OVERFIT_REGULARIZED.apply(base).dropout()).isEqualTo(0.5);
        assertThatThrownBy(() -> Scenario.parse("nope")).hasMessage("unknown scenario 'nope': see --list-scenarios");
    }

    @Test
    void shouldListTheScenariosOneLineEachWithoutKafka() {
        StringWriter out = new StringWriter();
        picocli.CommandLine cl = TrainCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));

        int code = cl.execute("--list-scenarios");

        assertThat(code).isZero();
        assertThat(out.toString().lines()).hasSize(Scenario.values().length)
                .anyMatch(l -> l.startsWith("lr-adam-too-high ")).anyMatch(l -> l.startsWith("overfit-regularized "));
    }

    @Test
    void shouldRefuseAnUnknownScenarioOrActionInOneSentence() {
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = TrainCommand.commandLine();
        cl.setErr(new PrintWriter(err, true));

        assertThat(cl.execute("--scenario", "lr-typo")).isEqualTo(2);
        assertThat(cl.execute("--run-id", "x", "--on-alert", "panic")).isEqualTo(2);

        assertThat(err.toString().lines()).containsExactly(
                "unknown scenario 'lr-typo': see --list-scenarios (see 'train --help')",
                "unknown --on-alert 'panic': use stop, rollback or ignore (see 'train --help')");
    }
}
