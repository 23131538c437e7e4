package io.losswatch.bench.perf;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BenchEventsTest {

    @Test
    void shouldWriteValidStepEventsWhoseDivergingRunsGrowAndHealthyRunsDoNot() throws Exception {
        BenchEvents gen = new BenchEvents("t", 10, 0.2, 1);
        gen.planOnsets(300);
        assertThat(gen.divergingRuns()).isEqualTo(2);
        for (int k = 0; k < gen.runs(); k++) {
            StepEvent first = EventJson.parseStep(gen.json(k, 0, Instant.EPOCH));
            StepEvent last = EventJson.parseStep(gen.json(k, 299, Instant.EPOCH));
            assertThat(first.runId()).isEqualTo(gen.runId(k));
            if (gen.diverges(k)) {
                assertThat(last.loss()).as("run %d diverges", k).isGreaterThan(100 * first.loss());
            } else {
                assertThat(last.loss()).as("run %d is healthy", k).isLessThan(first.loss() * 1.5);
            }
        }
    }
}
