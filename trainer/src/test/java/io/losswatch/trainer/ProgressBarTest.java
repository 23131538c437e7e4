package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.StepEvent;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    @Test
    void shouldShowStepLossLearningRateRateAndTimeLeft() {
        StepEvent e = StepEvent.of("r", 119, 0.53).withLearningRate(0.001);

        assertThat(ProgressBar.line(e, 300, 12.0))
                .isEqualTo("[#########---------------] 120/300 loss 0.5300 lr 0.001 12.0 steps/s 15s left");
        assertThat(ProgressBar.duration(125)).isEqualTo("2m05s");
        assertThat(ProgressBar.duration(7300)).isEqualTo("2h01m");
    }

    @Test
    void shouldRedrawOneLineInPlaceAndPutNotesAboveIt() {
        StringWriter text = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(text), 2);

        bar.accept(StepEvent.of("r", 0, 2.3).withLearningRate(0.1));
        bar.note("r: an alert");
        bar.accept(StepEvent.of("r", 1, 2.1).withLearningRate(0.1));
        bar.finish();

        String s = text.toString();
        assertThat(s).startsWith("\r\033[K[############------------] 1/2 loss 2.300");
        assertThat(s)
                .contains("\r\033[Kr: an alert\n\r\033[K[########################] 2/2 loss 2.100")
                .endsWith("\n");
    }
}
