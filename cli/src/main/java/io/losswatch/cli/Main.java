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
        versionProvider = Main.Version.class,
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

    /** Wide enough that option descriptions with paths and URLs do not break mid-word on most terminals. */
    static final int USAGE_WIDTH = 100;

    /** Exit code of a usage error: a bad flag or an unknown command. */
    static final int EXIT_USAGE = 2;

    /** The jar's version (or "dev" when run from classes), printed by every command's --version. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"losswatch " + version()};
        }

        static String version() {
            String v = Main.class.getPackage().getImplementationVersion();
            return v == null ? "dev" : v;
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        shareVersion(cl);
        cl.setUsageHelpWidth(USAGE_WIDTH);
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            String unknown = unknownCommand(ex);
            if (unknown != null) {
                err.println("unknown command " + unknown + "; try losswatch --help");
                return EXIT_USAGE;
            }
            err.println(ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for the options.");
            return EXIT_USAGE;
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

    /** Every subcommand answers --version with the version of the whole tool. */
    private static void shareVersion(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommandSpec().versionProvider() == null) {
                sub.getCommandSpec().versionProvider(new Version());
            }
            shareVersion(sub);
        }
    }

    /** The word a user typed where a command was expected, or null when the error is about something else. */
    private static String unknownCommand(CommandLine.ParameterException ex) {
        if (!(ex instanceof CommandLine.UnmatchedArgumentException unmatched)
                || ex.getCommandLine().getSubcommands().isEmpty()) {
            return null;
        }
        return unmatched.getUnmatched().stream()
                .filter(arg -> !arg.startsWith("-"))
                .findFirst()
                .orElse(null);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
