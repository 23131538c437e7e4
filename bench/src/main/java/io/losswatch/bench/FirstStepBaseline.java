package io.losswatch.bench;

import io.losswatch.events.StepEvent;
import java.util.List;

/**
 * A baseline that stops or alerts at the first step its rule holds, as the callbacks it stands for
 * raise, skip or kill there. Each run gets a fresh {@link Watch}, so a rule keeps its rolling
 * windows as the callback would, in step order.
 */
abstract class FirstStepBaseline implements RunDetector {

    /** One run's state of the rule. */
    interface Watch {
        /** True when the rule holds at this step, the {@code index}-th of the run (from 0). */
        boolean holds(int index, StepEvent step);
    }

    /** A fresh state for a run of {@code steps} steps (llm-foundry's callback sizes its window from it). */
    abstract Watch watch(int steps);

    /** What the firing is called in the run-by-run listings. */
    abstract String type();

    @Override
    public final List<Firing> run(BenchRun run) {
        List<StepEvent> events = run.events();
        Watch w = watch(events.size());
        for (int i = 0; i < events.size(); i++) {
            if (w.holds(i, events.get(i))) {
                return List.of(new Firing(events.get(i).step(), type(), null));
            }
        }
        return List.of();
    }
}
