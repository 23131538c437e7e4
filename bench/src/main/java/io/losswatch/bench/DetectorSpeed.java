package io.losswatch.bench;

import io.losswatch.detector.Detector;
import io.losswatch.detector.DetectorConfig;
import io.losswatch.detector.RunState;
import io.losswatch.events.StepEvent;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Points per second through {@link Detector#onStep} on one thread: healthy noisy runs interleaved as
 * a partition delivers them, each event built just before it is used, as the stream's parser does.
 * Seconds are the thread's CPU time, so other processes on a shared machine do not count against it
 * (caches they evict still do). A printed measurement, not a test.
 */
public final class DetectorSpeed {
    private static final int RUNS = 64;
    private static final int STEPS = 4000;

    /** What one measurement covered. */
    public enum Mode {
        LOSS_ONLY("loss only"),
        ALL_FIELDS("loss, grad_norm, learning_rate, update_ratio, val_loss"),
        ALL_FIELDS_WITH_STATE("the same, plus the run state read from and written to bytes (the stream's store)");

        public final String label;

        Mode(String label) {
            this.label = label;
        }
    }

    public record Result(Mode mode, long points, double seconds) {
        public double pointsPerSecond() {
            return points / seconds;
        }
    }

    private DetectorSpeed() {}

    public static Result measure(DetectorConfig config, Mode mode, double seconds) {
        SplittableRandom r = new SplittableRandom(7);
        double[][] loss = new double[RUNS][STEPS];
        double[][] grad = new double[RUNS][STEPS];
        double[][] ratio = new double[RUNS][STEPS];
        String[] ids = new String[RUNS];
        for (int k = 0; k < RUNS; k++) {
            ids[k] = "speed-" + k;
            for (int t = 0; t < STEPS; t++) {
                loss[k][t] = 2.3 * Math.exp(-t / 1500.0) * Math.exp(0.2 * r.nextGaussian()) + 0.05;
                grad[k][t] = 2 * Math.exp(0.3 * r.nextGaussian());
                ratio[k][t] = 1e-3 * Math.exp(0.2 * r.nextGaussian());
            }
        }
        Detector detector = new Detector(config);
        Map<String, String> labels = Map.of("optimizer", "adam");
        long[] sink = new long[1];
        Runnable pass = () -> {
            RunState[] states = new RunState[RUNS];
            byte[][] stored = new byte[RUNS][];
            for (int k = 0; k < RUNS; k++) {
                states[k] = detector.newState();
                stored[k] = states[k].toBytes();
            }
            for (int t = 0; t < STEPS; t++) {
                for (int k = 0; k < RUNS; k++) {
                    StepEvent e = mode == Mode.LOSS_ONLY
                            ? StepEvent.of(ids[k], t, loss[k][t])
                            : new StepEvent(
                                    1,
                                    ids[k],
                                    t,
                                    null,
                                    loss[k][t],
                                    grad[k][t],
                                    null,
                                    1e-3,
                                    20.0,
                                    ratio[k][t],
                                    t % 50 == 0 ? loss[k][t] * 1.2 : null,
                                    null,
                                    labels);
                    RunState s = mode == Mode.ALL_FIELDS_WITH_STATE ? RunState.fromBytes(stored[k], config) : states[k];
                    sink[0] += detector.onStep(s, e, Instant.EPOCH, Instant.EPOCH)
                            .alerts()
                            .size();
                    if (mode == Mode.ALL_FIELDS_WITH_STATE) {
                        stored[k] = s.toBytes();
                    }
                }
            }
        };
        pass.run(); // warm-up: let the JIT compile the path
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long points = 0;
        long start = threads.getCurrentThreadCpuTime();
        long budget = (long) (seconds * 1e9);
        while (threads.getCurrentThreadCpuTime() - start < budget) {
            pass.run();
            points += (long) RUNS * STEPS;
        }
        if (sink[0] < 0) {
            throw new AssertionError(); // keeps the work observable
        }
        return new Result(mode, points, (threads.getCurrentThreadCpuTime() - start) / 1e9);
    }
}
