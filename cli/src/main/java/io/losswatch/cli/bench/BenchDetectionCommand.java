package io.losswatch.cli.bench;

import io.losswatch.bench.Corpus;
import io.losswatch.bench.DetectionBenchmark;
import io.losswatch.detector.DetectorConfig;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code losswatch bench detection}: the labelled detection benchmark. */
@Command(
        name = "detection",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Scores the detector and today's baselines (NaN only, an absolute threshold, a PromQL deriv(ln(loss)) rule, "
                    + "and the spike guards of OLMo-core, llm-foundry, Lightning Fabric and a W&B-style z-score) "
                    + "on a labelled corpus of diverging and healthy runs drawn from fixed seeds, and prints one table per half; "
                    + "then the same for the recorded PyTorch runs: their tuning and held-out parts, and with the held-out "
                    + "half the eleven blind sets, each recorded after the rules of its day with settings of its own and "
                    + "scored as a whole.",
            "The threshold and the PromQL rule are tuned on the tuning half only; the spike guards run with their "
                    + "defaults; the held-out half has other seeds."
        })
public final class BenchDetectionCommand implements Callable<Integer> {

    /** The benchmark's seeds are 0x1055xxxx: the tuning half, the held-out halves and their sweeps. */
    static final long BENCHMARK_SEEDS = 0x1055_0000L;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--half",
            defaultValue = "both",
            description = "Which half to score: tuning, held-out (with the blind sets of recorded runs) or both "
                    + "(default: ${DEFAULT-VALUE}).")
    String half;

    @Option(names = "--families", description = "Also print caught runs / false alarms per family.")
    boolean families;

    @Option(
            names = "--details",
            description =
                    "Also list Losswatch's misses, false alarms, early alerts, wrong causes, slow catches and alerts only after the NaN, run by run.")
    boolean details;

    @Option(
            names = "--sweep-seeds",
            defaultValue = "8",
            description = "Also score Losswatch alone on this many further seeds after the held-out one, added up "
                    + "(with the held-out half; 0 skips it; default: ${DEFAULT-VALUE}).")
    int sweepSeeds;

    @Option(
            names = "--dev-seeds",
            paramLabel = "FIRST",
            description =
                    "Development: score Losswatch alone on --sweep-seeds seeds from FIRST (such as 0x20550001) instead "
                            + "of the halves, so that the detector can be worked on without looking at the benchmark; with "
                            + "--details, its wrong runs seed by seed. The benchmark's own seeds (0x10550000-0x1055FFFF) are refused.")
    String devSeeds;

    @Option(
            names = "--speed-seconds",
            defaultValue = "2",
            description = "Seconds for each throughput measurement; 0 skips it (default: ${DEFAULT-VALUE}).")
    double speedSeconds;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<Corpus.Half> halves = switch (half.toLowerCase(Locale.ROOT)) {
            case "tuning" -> List.of(Corpus.Half.TUNING);
            case "held-out", "heldout" -> List.of(Corpus.Half.HELD_OUT);
            case "both" -> List.of(Corpus.Half.TUNING, Corpus.Half.HELD_OUT);
            default -> null;
        };
        if (halves == null) {
            spec.commandLine().getErr().println("--half must be tuning, held-out or both, not '" + half + "'.");
            return 2;
        }
        if (sweepSeeds < 0) {
            spec.commandLine().getErr().println("--sweep-seeds must be 0 or more, not " + sweepSeeds + ".");
            return 2;
        }
        long devFirst = -1;
        if (devSeeds != null) {
            try {
                devFirst = Long.decode(devSeeds);
            } catch (NumberFormatException e) {
                spec.commandLine()
                        .getErr()
                        .println("--dev-seeds must be a seed such as 0x20550001, not '" + devSeeds + "'.");
                return 2;
            }
            if (sweepSeeds < 1
                    || (devFirst + sweepSeeds - 1 >= BENCHMARK_SEEDS && devFirst <= (BENCHMARK_SEEDS | 0xFFFF))) {
                spec.commandLine()
                        .getErr()
                        .printf(
                                Locale.ROOT,
                                "--dev-seeds: 0x%X and the %d after it must be 1 or more seeds "
                                        + "outside the benchmark's 0x10550000-0x1055FFFF (its tuning and held-out halves); use another range, "
                                        + "e.g. 0x20550001.%n",
                                devFirst,
                                Math.max(0, sweepSeeds - 1));
                return 2;
            }
        }
        DetectorConfig config = DetectorConfig.defaults();
        out.println("Losswatch detection benchmark (./losswatch bench detection)");
        out.println(
                "recall: diverging runs alerted at or after their onset; false alarms: healthy runs with any alert;");
        out.println("early: diverging runs alerted before their onset; delay: steps from onset to the first alert;");
        out.println(
                "alerted before NaN / lead: runs that end in NaN, alerted before the first NaN, and by how many steps;");
        out.println("cause right: diagnosis of the first alert on runs made with a known cause.");
        if (devSeeds != null) {
            DetectionBenchmark.Sweep sweep = DetectionBenchmark.sweep(config, devFirst, sweepSeeds);
            DetectionBenchmark.print(sweep, out);
            if (details) {
                DetectionBenchmark.printDetails(sweep, out);
            }
            out.flush();
            return 0;
        }
        DetectionBenchmark.print(DetectionBenchmark.run(config, halves), out, families, details);
        if (sweepSeeds > 0 && halves.contains(Corpus.Half.HELD_OUT)) {
            DetectionBenchmark.print(DetectionBenchmark.sweep(config, sweepSeeds), out);
        }
        if (speedSeconds > 0) {
            out.println();
            DetectorSpeedCommand.print(config, speedSeconds, out);
        }
        out.flush();
        return 0;
    }
}
