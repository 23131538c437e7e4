package io.losswatch.cli;

import io.losswatch.cli.options.AlertsTopicOption;
import io.losswatch.cli.options.KafkaOptions;
import io.losswatch.cli.options.MetricsTopicOption;
import io.losswatch.client.AlertAction;
import io.losswatch.client.AlertFollower;
import io.losswatch.client.MetricsPublisher;
import io.losswatch.client.guard.Guard;
import io.losswatch.events.KafkaPreflight;
import io.losswatch.events.StepEvent;
import io.losswatch.trainer.Architecture;
import io.losswatch.trainer.LeNet;
import io.losswatch.trainer.ProgressBar;
import io.losswatch.trainer.Scenario;
import io.losswatch.trainer.TrainConfig;
import io.losswatch.trainer.TrainResult;
import io.losswatch.trainer.Trainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code losswatch train}: trains a network on Fashion-MNIST and streams every step to Kafka.
 *
 * <p>Long because it declares every training option with its description; the training is in
 * {@code Trainer}, the acting on alerts in the client's {@code Guard}.
 */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        versionProvider = TrainCommand.Version.class,
        description =
                "Train a network on Fashion-MNIST (the LeNet CNN by default) and publish one event per step to Kafka.")
public final class TrainCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafkaOptions = new KafkaOptions();

    @Mixin
    MetricsTopicOption metricsTopic = new MetricsTopicOption();

    @Mixin
    AlertsTopicOption alertsTopicOption = new AlertsTopicOption();

    /** The jar's version, or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"losswatch train " + Main.Version.version()};
        }
    }

    public static final int EXIT_USAGE = 2;
    public static final Duration REACHABILITY_TIMEOUT = Duration.ofSeconds(5);

    @Spec
    CommandSpec spec;

    @Option(
            names = "--run-id",
            description = "Run id on every event: 1-128 of [A-Za-z0-9._:/-]. Required, "
                    + "except with --scenario (default: the scenario's name).")
    String runId;

    @Option(
            names = "--scenario",
            paramLabel = "NAME",
            description =
                    "A measured preset (model, optimizer, lr, steps, data, regularization); --steps, --seed, --data "
                            + "and --batch-size still apply. See --list-scenarios.")
    String scenario;

    @Option(names = "--list-scenarios", description = "Print the scenarios, one line each, and exit.")
    boolean listScenarios;

    @Option(
            names = "--on-alert",
            defaultValue = "ignore",
            paramLabel = "ACTION",
            description =
                    "On a critical alert for this run from the monitor: stop (keep the weights from before the onset, "
                            + "save them, exit 3), rollback (restore the last checkpoint before the onset, lr / 10, go on; "
                            + "after " + Trainer.MAX_ROLLBACKS
                            + " rollbacks the next alert ends the run: recovery failed, "
                            + "exit 4), skip (roll back and also skip as many batches as led to the alert) or ignore. "
                            + "Default: ${DEFAULT-VALUE}.")
    String onAlert;

    @Option(
            names = "--checkpoint-dir",
            defaultValue = "checkpoints",
            paramLabel = "DIR",
            description = "Where --on-alert stop saves the network. Default: ${DEFAULT-VALUE}.")
    Path checkpointDir;

    @Option(
            names = "--model",
            defaultValue = "lenet",
            description =
                    "lenet (the CNN) or linear (linear regression onto one-hot labels). Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(
            names = "--loss",
            description =
                    "mcxent, ce-logits (unclipped cross entropy) or mse. Default: mcxent for lenet, mse for linear.")
    String loss;

    @Option(
            names = "--optimizer",
            defaultValue = "adam",
            description = "adam or sgd (plain SGD). Default: ${DEFAULT-VALUE}.")
    String optimizer;

    @Option(names = "--lr", defaultValue = "0.001", description = "Learning rate. Default: ${DEFAULT-VALUE}.")
    double learningRate;

    @Option(
            names = "--steps",
            defaultValue = "300",
            description = "Training steps (minibatches). Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--batch-size", defaultValue = "32", description = "Examples per step. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Seed for weights and data order. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(
            names = "--data",
            paramLabel = "DIR",
            defaultValue = "/usr/share/datasets/fashion-mnist",
            description =
                    "Directory with the Fashion-MNIST IDX files; synthetic images if missing. Default: ${DEFAULT-VALUE}.")
    Path dataDir;

    @Option(
            names = "--examples",
            defaultValue = "0",
            description = "Training examples to load; 0 loads what the steps need. A small number overfits.")
    int examples;

    @Option(names = "--l2", defaultValue = "0", description = "L2 weight decay. Default: none.")
    double l2;

    @Option(
            names = "--dropout",
            defaultValue = "0",
            description = "Dropout probability of the dense layer. Default: none.")
    double dropout;

    @Option(
            names = "--validate-every",
            defaultValue = "0",
            description = "Send val_loss on a held-out set every N steps; 0 never. Default: ${DEFAULT-VALUE}.")
    int validateEvery;

    @Option(
            names = "--pace-ms",
            defaultValue = "0",
            description =
                    "Make each step take at least this many milliseconds, to watch a fast run live. Default: full speed.")
    long paceMillis;

    @Option(
            names = "--progress",
            defaultValue = "auto",
            paramLabel = "MODE",
            description =
                    "auto (a progress bar on a terminal, plain lines otherwise), bar or plain. Default: ${DEFAULT-VALUE}.")
    String progressMode;

    @Option(
            names = "--print-every",
            defaultValue = "10",
            description = "Print a progress line every N steps. Default: ${DEFAULT-VALUE}.")
    int printEvery;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (listScenarios) {
            out.print(Scenario.listing());
            out.flush();
            return 0;
        }
        TrainConfig config;
        AlertAction action;
        try {
            Scenario preset = scenario == null ? null : Scenario.parse(scenario);
            String id = runId != null ? runId : preset != null ? preset.label() : null;
            if (id == null) {
                throw new IllegalArgumentException(
                        "give --run-id ID, or --scenario NAME for a measured preset (see --list-scenarios)");
            }
            config = new TrainConfig(
                    id,
                    LeNet.Optimizer.parse(optimizer),
                    learningRate,
                    steps,
                    batchSize,
                    seed,
                    dataDir,
                    kafkaOptions.bootstrapServers(),
                    metricsTopic.topic(),
                    kafkaOptions.settings(),
                    l2,
                    dropout,
                    validateEvery,
                    examples,
                    Architecture.parse(model),
                    loss == null ? null : LeNet.Loss.parse(loss));
            if (preset != null) {
                config = preset.apply(config);
                if (spec.commandLine().getParseResult().hasMatchedOption("--steps")) {
                    config = config.withSteps(steps);
                }
            }
            action = AlertAction.parse(onAlert);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!List.of("auto", "bar", "plain").contains(progressMode)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--progress must be auto, bar or plain, got '" + progressMode + "'");
        }
        if (printEvery <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--print-every must be > 0");
        }
        if (paceMillis < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--pace-ms must be >= 0");
        }
        String problem = KafkaPreflight.producerProblem(
                config.bootstrapServers(), config.topic(), config.kafkaProps(), REACHABILITY_TIMEOUT);
        if (problem != null) {
            spec.commandLine().getErr().println(problem);
            return EXIT_USAGE;
        }

        out.printf(
                "%s: training %s (%s), %s lr=%s, %d steps of %d, publishing to %s at %s%n",
                config.runId(),
                config.architecture().label(),
                config.loss().label(),
                config.optimizer().label(),
                config.learningRate(),
                config.steps(),
                config.batchSize(),
                config.topic(),
                config.bootstrapServers());
        out.flush();
        boolean terminal = "bar".equals(progressMode) || "auto".equals(progressMode) && System.console() != null;
        ProgressBar bar = terminal ? new ProgressBar(out, config.steps()) : null;
        java.util.function.Consumer<StepEvent> progress = terminal ? bar : new ProgressPrinter(out, printEvery);
        Trainer trainer = new Trainer(config)
                .pace(Duration.ofMillis(paceMillis))
                .console(line -> {
                    if (bar != null) {
                        bar.note(line);
                    } else {
                        out.println(line);
                        out.flush();
                    }
                })
                .onStep(progress)
                .checkpointDir(checkpointDir);
        AlertFollower follower = null;
        String alertsTopic = alertsTopicOption.topic();
        if (action != AlertAction.IGNORE) {
            try {
                follower =
                        new AlertFollower(config.bootstrapServers(), alertsTopic, config.kafkaProps(), config.runId());
            } catch (RuntimeException e) {
                spec.commandLine()
                        .getErr()
                        .println("Cannot follow " + alertsTopic + " at " + config.bootstrapServers() + " ("
                                + KafkaPreflight.rootMessage(e)
                                + "): start the monitor first, or pass --on-alert ignore.");
                return EXIT_USAGE;
            }
            trainer.onAlert(action, follower.queue());
            out.printf("%s: following %s; on a critical alert: %s%n", config.runId(), alertsTopic, action.label());
        }
        // Ctrl-C: finish the current step and flush the events already taken, then exit.
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(
                () -> {
                    trainer.stop();
                    try {
                        finished.await(MetricsPublisher.DEFAULT_CLOSE_TIMEOUT.toSeconds() + 2, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "losswatch-train-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        TrainResult result;
        try {
            result = trainer.run();
        } finally {
            if (follower != null) {
                follower.close();
            }
            if (bar != null) {
                bar.finish();
            }
            finished.countDown();
        }
        out.printf(
                Locale.ROOT,
                "%s: %s; %d steps, last loss %.4g, %.1f steps/s; events sent %d, dropped %d, failed %d%n",
                result.runId(),
                result.stopReason(),
                result.steps(),
                result.lastLoss(),
                result.stepsPerSecond(),
                result.sent(),
                result.dropped(),
                result.failed());
        out.flush();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running already; nothing to remove
        }
        return result.ending().exitCode();
    }

    /** Prints every {@code every}-th step with the speed since the previous line. */
    static final class ProgressPrinter implements java.util.function.Consumer<StepEvent> {
        private final PrintWriter out;
        private final int every;
        private long lastStep = -1;
        private long lastNanos;

        ProgressPrinter(PrintWriter out, int every) {
            this.out = out;
            this.every = every;
        }

        @Override
        public void accept(StepEvent event) {
            if (event.step() % every != 0) {
                return;
            }
            long now = System.nanoTime();
            out.println(progressLine(event, lastStep < 0 ? -1 : (event.step() - lastStep) * 1e9 / (now - lastNanos)));
            out.flush();
            lastStep = event.step();
            lastNanos = now;
        }
    }

    /** One plain line; {@code stepsPerSecond < 0} leaves the speed out (the first line has none yet). */
    static String progressLine(StepEvent event, double stepsPerSecond) {
        String line = String.format(
                Locale.ROOT,
                "step %d loss %.4g lr %s",
                event.step(),
                event.loss(),
                event.learningRate() == null ? "-" : Guard.readable(event.learningRate()));
        return stepsPerSecond < 0 ? line : line + String.format(Locale.ROOT, " %.1f steps/s", stepsPerSecond);
    }

    /** Builds the command line with one-sentence errors for bad flags. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new TrainCommand());
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println(e.getMessage() + " (see 'train --help')");
            c.getErr().flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("train failed: " + KafkaPreflight.rootMessage(e));
            c.getErr().flush();
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
