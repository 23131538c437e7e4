package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
