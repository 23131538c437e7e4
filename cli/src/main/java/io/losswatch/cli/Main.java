package io.losswatch.cli;

import java.io.PrintWriter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code losswatch} command. */
@Command(
        name = "losswatch",
        mixinStandardHelpOptions = true,
        version = "losswatch 0.1.0",
        description =
                "Watches deep-learning training runs as they happen and says, early and with a reason, when a run is diverging.",
        subcommands = {
            DemoCommand.class,
            BrokerCommand.class,
            MonitorCommand.class,
            io.losswatch.cli.NotifyCommand.class,
            TrainCommand.class,
            io.losswatch.cli.AttachCommand.class,
            BenchCommand.class,
            io.losswatch.cli.plot.PlotCommand.class,
            CommandLine.HelpCommand.class
        },
        footer = {"", "Run 'losswatch COMMAND --help' for the options of a command."})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println(ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for the options.");
            return 2;
        });
        cl.setExecutionStrategy(parsed -> {
            // benchmarks print their own figures; hundreds of alert lines from the monitor they run would bury them
            if (parsed.subcommand() != null
                    && parsed.subcommand().commandSpec().name().equals("bench")) {
                Configurator.setLevel("losswatch.alerts", Level.OFF);
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            err.println("losswatch: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            if (System.getenv("LOSSWATCH_DEBUG") != null) {
                ex.printStackTrace(err);
            } else {
                err.println("(set LOSSWATCH_DEBUG=1 to see the stack trace)");
            }
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
