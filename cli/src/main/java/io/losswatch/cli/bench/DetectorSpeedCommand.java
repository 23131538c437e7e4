package io.losswatch.cli.bench;

import io.losswatch.bench.DetectorSpeed;
import io.losswatch.detector.DetectorConfig;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code losswatch bench detector-speed}: points per second through the detector on one thread. */
@Command(
        name = "detector-speed",
        mixinStandardHelpOptions = true,
        description =
                "Measures how many step events per second the detector handles on one thread (target: 1 million).")
public final class DetectorSpeedCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--seconds",
            defaultValue = "5",
            description = "CPU seconds per measurement (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        print(DetectorConfig.defaults(), seconds, out);
        out.flush();
        return 0;
    }

    static void print(DetectorConfig config, double seconds, PrintWriter out) {
        out.println("Detector throughput, one thread, 64 healthy runs interleaved, per second of the thread's CPU time"
                + " (target: 1,000,000 points/s):");
        for (DetectorSpeed.Mode mode : DetectorSpeed.Mode.values()) {
            DetectorSpeed.Result r = DetectorSpeed.measure(config, mode, seconds);
            out.printf(Locale.ROOT, "  %,12.0f points/s  %s%n", r.pointsPerSecond(), mode.label);
            out.flush();
        }
    }
}
