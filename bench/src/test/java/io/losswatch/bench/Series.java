package io.losswatch.bench;

import io.losswatch.events.StepEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;

/** Hand-made runs for the baselines' tests: step i has loss(i), and a gradient norm where given. */
final class Series {
    private Series() {}

    static BenchRun losses(int steps, IntToDoubleFunction loss) {
        return run(steps, loss, null);
    }

    static BenchRun run(int steps, IntToDoubleFunction loss, IntToDoubleFunction gradNorm) {
        List<StepEvent> events = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            StepEvent e = StepEvent.of("series", i, loss.applyAsDouble(i));
            events.add(gradNorm == null ? e : e.withGradNorm(gradNorm.applyAsDouble(i)));
        }
        return new BenchRun("series", "test", false, -1, null, events);
    }

    /** The step of the detector's first firing, or -1 when it does not fire. */
    static long firstFiring(RunDetector d, BenchRun run) {
        List<RunDetector.Firing> f = d.run(run);
        return f.isEmpty() ? -1 : f.get(0).step();
    }
}
