package io.losswatch.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.StepEvent;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link RunState#heapBytes()} against the heap states really take, measured after full collections:
 * the live-state cache of the monitor charges runs by it, so it must not be far off whatever the run's
 * length and series.
 */
class RunStateHeapTest {
    private static final int STATES = 3000;
    private static final Detector DETECTOR = new Detector(DetectorConfig.defaults());

    @Test
    void shouldEstimateTheHeapOfShortAndLongRuns() {
        List<Double> ratios = new ArrayList<>();
        for (int steps : new int[] {0, 6, 40, 1000}) {
            for (boolean everySeries : new boolean[] {false, true}) {
                RunState[] states = new RunState[STATES];
                long before = usedAfterGc();
                for (int i = 0; i < STATES; i++) {
                    states[i] = run("run-" + i, steps, everySeries);
                }
                long measured = (usedAfterGc() - before) / STATES;
                long estimated = states[0].heapBytes();
                System.out.printf(
                        "%d steps, %s: measured %d bytes a state, estimated %d%n",
                        steps, everySeries ? "every series" : "loss only", measured, estimated);
                assertThat(states).hasSize(STATES); // keeps them reachable until measured
                ratios.add((double) estimated / measured);
            }
        }
        assertThat(ratios)
                .as("estimated / measured heap of a state")
                .allSatisfy(r -> assertThat(r).isBetween(0.8, 1.25));
    }

    @Test
    void shouldGrowWithTheWindowsUpToTheirSize() {
        RunState shortRun = run("short", 6, true);
        RunState longRun = run("long", 1000, true);
        assertThat(shortRun.heapBytes()).isLessThan(longRun.heapBytes());
        assertThat(run("longer", 5000, true).heapBytes()).isEqualTo(longRun.heapBytes());
    }

    private static RunState run(String id, int steps, boolean everySeries) {
        RunState s = DETECTOR.newState();
        Instant t = Instant.parse("2026-12-01T00:00:00Z");
        for (int i = 0; i < steps; i++) {
            StepEvent e = StepEvent.of(id, i, 2.0 * Math.exp(-i / 300.0) + 0.01 * Math.sin(i));
            if (everySeries) {
                e = e.withGradNorm(1.0 + 0.1 * Math.cos(i)).withLearningRate(1e-3);
                if (i % 50 == 49) {
                    e = e.withValLoss(2.1 * Math.exp(-i / 300.0));
                }
            }
            DETECTOR.onStep(s, e, t.plusMillis(i), t.plusMillis(i));
        }
        return s;
    }

    /** The heap used once full collections stop freeing anything (at most ten of them). */
    private static long usedAfterGc() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            long now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (now >= used) {
                return now;
            }
            used = now;
        }
        return used;
    }
}
