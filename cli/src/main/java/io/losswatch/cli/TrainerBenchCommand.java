package io.losswatch.cli;

import io.losswatch.bench.perf.Machine;
import io.losswatch.bench.probe.ListenerOverhead;
import io.losswatch.bench.probe.ListenerOverhead.Result;
import io.losswatch.client.MetricsPublisher;
import io.losswatch.events.Topics;
import io.losswatch.kafka.local.EmbeddedKafka;
import io.losswatch.trainer.LeNet;
import io.losswatch.trainer.TrainConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code losswatch bench trainer}: what the DL4J listener and the publisher add to a LeNet step. One
 * network on real Fashion-MNIST trains in alternating blocks with the listener (publishing to the
 * embedded broker for real) and without, so that both sides see the same machine.
 */
@Command(
        name = "trainer",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Trains the LeNet CNN (Adam, lr 1e-3) on Fashion-MNIST in alternating blocks of steps with the "
                    + "metrics listener and publisher (to an embedded broker) and without them, the first steps left out, "
                    + "and prints the step time of both, the overhead in percent (target under 1%%) and the time spent "
                    + "inside the listener."
        })
public final class TrainerBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--steps",
            defaultValue = "300",
            description = "Measured steps on each side, rounded up to whole blocks (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
            names = "--block",
            defaultValue = "5",
            description = "Steps in a row on one side before switching (default: ${DEFAULT-VALUE}).")
    int block;

    @Option(
            names = "--warmup",
            defaultValue = "40",
            description = "Steps trained first and not measured (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--batch-size", defaultValue = "32", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--data",
            defaultValue = "/usr/share/datasets/fashion-mnist",
            description = "Fashion-MNIST IDX files; synthetic images when missing (default: ${DEFAULT-VALUE}).")
    Path data;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (steps < 1 || block < 1 || warmup < 0 || batchSize < 1) {
            spec.commandLine()
                    .getErr()
                    .println("--steps, --block and --batch-size must be positive, --warmup at least 0.");
            return 2;
        }
        TrainConfig config = TrainConfig.defaults("bench-trainer")
                .withOptimizer(LeNet.Optimizer.ADAM, 1e-3)
                .withSteps(steps)
                .withBatchSize(batchSize)
                .withData(data, 0);
        out.println("Losswatch trainer benchmark (./losswatch bench trainer)");
        out.println("machine: " + Machine.describe());
        out.printf(
                Locale.ROOT,
                "LeNet, Adam 1e-3, batch %d, %s; blocks of %d steps alternating with/without the listener "
                        + "after %d warm-up steps; OMP_NUM_THREADS=%s%n",
                batchSize,
                Files.isDirectory(data) ? "Fashion-MNIST from " + data : "synthetic images (no " + data + ")",
                block,
                warmup,
                System.getenv().getOrDefault("OMP_NUM_THREADS", "unset"));
        out.flush();
        Result r;
        long sent;
        long dropped;
        long failed;
        try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafka.Config.defaults())) {
            kafka.createTopic(Topics.METRICS, 1);
            MetricsPublisher publisher = new MetricsPublisher(kafka.bootstrapServers(), Topics.METRICS, Map.of());
            try (publisher) {
                int total = 2 * (Math.floorDiv(steps + block - 1, block) * block);
                r = new ListenerOverhead(config, block, warmup).measure(publisher::offer, done -> {
                    if (done % (20 * block) == 0 || done == total) {
                        out.printf(Locale.ROOT, "  %d of %d measured steps%n", done, total);
                        out.flush();
                    }
                });
            }
            sent = publisher.sentCount();
            dropped = publisher.droppedCount();
            failed = publisher.failedCount();
        }
        out.printf(Locale.ROOT, "%-28s %10s %10s %7s%n", "", "mean", "median", "steps");
        out.printf(
                Locale.ROOT,
                "%-28s %8.2f ms %8.2f ms %7d%n",
                "without listener",
                Result.mean(r.without()) / 1e6,
                Result.median(r.without()) / 1e6,
                r.without().length);
        out.printf(
                Locale.ROOT,
                "%-28s %8.2f ms %8.2f ms %7d%n",
                "with listener + publisher",
                Result.mean(r.with()) / 1e6,
                Result.median(r.with()) / 1e6,
                r.with().length);
        out.printf(
                Locale.ROOT,
                "%-28s %8.3f ms %8.3f ms%n",
                "inside the listener",
                Result.mean(r.inListener()) / 1e6,
                Result.median(r.inListener()) / 1e6);
        double[] pairs = r.overheadOfBlockPairsPercent();
        out.printf(
                Locale.ROOT,
                "overhead: %+.2f%% by means, %+.2f%% by medians, %+.2f%% +- %.2f%% by neighbouring blocks "
                        + "(two standard errors); inside the listener %.2f%% of a step (target under 1%%)%n",
                r.overheadOfMeansPercent(),
                r.overheadOfMediansPercent(),
                pairs[0],
                pairs[1],
                r.inListenerPercent());
        out.printf(
                Locale.ROOT,
                "published: %d events acknowledged by the broker, %d dropped, %d failed%n",
                sent,
                dropped,
                failed);
        out.println("machine after: " + Machine.describe());
        out.flush();
        return 0;
    }
}
