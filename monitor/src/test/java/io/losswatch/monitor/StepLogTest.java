package io.losswatch.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A logged step gives back what the detector reads of it, and both instants, exactly. */
class StepLogTest {
    private static final Instant T = Instant.parse("2026-11-27T05:00:00.123456789Z");

    @Test
    void shouldGiveBackEveryFieldTheDetectorReads() {
        StepEvent full = new StepEvent(
                StepEvent.SCHEMA_VERSION,
                "r",
                1_000_000_007L,
                T,
                Double.NaN,
                1.5,
                Map.of("conv1", 0.3),
                1e-3,
                Double.POSITIVE_INFINITY,
                -0.0,
                2.5,
                -3,
                Map.of("optimizer", "adam", "num_classes", "10", "model", "lenet"),
                999_999_000L);
        StepEvent bare = StepEvent.of("r", 12, 0.5);
        List<StepLog.Applied> steps = List.of(
                new StepLog.Applied(full, T, T.plusNanos(1)),
                new StepLog.Applied(bare, T.minusSeconds(86_400 * 400L), T.plusSeconds(3)));

        StepLog.Entry back = StepLog.readEntry(StepLog.entry(42, steps), "r");

        assertThat(back.seq()).isEqualTo(42);
        StepLog.Applied first = back.steps().get(0);
        StepEvent e = first.event();
        assertThat(e.step()).isEqualTo(full.step());
        assertThat(Double.doubleToRawLongBits(e.loss())).isEqualTo(Double.doubleToRawLongBits(full.loss()));
        assertThat(List.of(e.gradNorm(), e.learningRate(), e.paramNorm(), e.valLoss()))
                .containsExactly(1.5, 1e-3, Double.POSITIVE_INFINITY, 2.5);
        assertThat(Double.doubleToRawLongBits(e.updateRatio())).isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(e.epoch()).isEqualTo(-3);
        assertThat(e.resumedFrom()).isEqualTo(999_999_000L);
        assertThat(e.labels()).isEqualTo(Map.of("optimizer", "adam", "num_classes", "10"));
        assertThat(e.time()).isEqualTo(T);
        assertThat(first.eventTime()).isEqualTo(T);
        assertThat(first.now()).isEqualTo(T.plusNanos(1));

        StepLog.Applied second = back.steps().get(1);
        assertThat(second.event()).isEqualTo(bare);
        assertThat(second.event().step()).isEqualTo(12);
        assertThat(second.event().time()).isEqualTo(bare.time());
        assertThat(List.of(second.eventTime(), second.now()))
                .containsExactly(T.minusSeconds(86_400 * 400L), T.plusSeconds(3));
        assertThat(second.event().gradNorm()).isNull();
        assertThat(second.event().resumedFrom()).isNull();
    }

    @Test
    void shouldReadASnapshotAndABareStateOfEarlierReleases() {
        byte[] state = {5, 1, 2, 3};
        StepLog.Snapshot s = StepLog.readSnapshot(StepLog.snapshot(300, state));
        assertThat(s.seq()).isEqualTo(300);
        assertThat(s.state()).isEqualTo(state);
        assertThat(StepLog.readSnapshot(state).seq()).isZero();
        assertThat(StepLog.readSnapshot(state).state()).isEqualTo(state);
        assertThat(StepLog.isLog(state)).isFalse();
    }
}
