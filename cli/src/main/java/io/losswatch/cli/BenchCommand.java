package io.losswatch.cli;

import io.losswatch.cli.bench.BenchDetectionCommand;
import io.losswatch.cli.bench.DetectorSpeedCommand;
import io.losswatch.cli.bench.LatencyBenchCommand;
import io.losswatch.cli.bench.ThroughputBenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code losswatch bench}: measurements that back the README's numbers. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description =
                "Benchmarks: detection quality on a labelled corpus, detector speed, monitor throughput, alert latency, trainer overhead.",
        subcommands = {
            BenchDetectionCommand.class,
            DetectorSpeedCommand.class,
            ThroughputBenchCommand.class,
            LatencyBenchCommand.class,
            TrainerBenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class BenchCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
