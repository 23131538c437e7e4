package io.losswatch.cli;

import io.losswatch.monitor.bench.BenchDetectionCommand;
import io.losswatch.monitor.bench.DetectorSpeedCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code losswatch bench}: measurements that back the README's numbers. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks: detection quality on a labelled corpus, detector throughput.",
        subcommands = {BenchDetectionCommand.class, DetectorSpeedCommand.class, CommandLine.HelpCommand.class})
public final class BenchCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
