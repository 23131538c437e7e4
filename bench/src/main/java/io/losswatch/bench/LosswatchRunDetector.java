package io.losswatch.bench;

import io.losswatch.detector.Detector;
import io.losswatch.detector.DetectorConfig;
import io.losswatch.detector.RunState;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The production {@link Detector}, fed one run at a time: exactly the code the stream runs. */
public final class LosswatchRunDetector implements RunDetector {
    private final Detector detector;

    public LosswatchRunDetector(DetectorConfig config) {
        this.detector = new Detector(config);
    }

    @Override
    public String name() {
        return "Losswatch";
    }

    @Override
    public boolean diagnoses() {
        return true;
    }

    @Override
    public List<Firing> run(BenchRun run) {
        RunState state = detector.newState();
        List<Firing> out = new ArrayList<>();
        for (StepEvent e : run.events()) {
            for (AlertEvent a :
                    detector.onStep(state, e, Instant.EPOCH, Instant.EPOCH).alerts()) {
                if (a.status() == AlertStatus.FIRING) {
                    out.add(new Firing(
                            a.step(),
                            a.type().name(),
                            a.diagnosis() == null ? null : a.diagnosis().cause(),
                            a.diagnosis() == null || a.diagnosis().evidence().isEmpty()
                                    ? ""
                                    : a.diagnosis().evidence().get(0)));
                }
            }
        }
        return out;
    }
}
