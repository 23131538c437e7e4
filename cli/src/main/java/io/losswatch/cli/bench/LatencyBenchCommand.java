package io.losswatch.cli.bench;

import io.losswatch.bench.perf.Machine;
import io.losswatch.bench.perf.PerfSupport;
import io.losswatch.kafka.local.EmbeddedKafka;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code losswatch bench latency}: at a steady event rate, the time from the producer sending the
 * step that crossed a threshold to the alert being readable on the alerts topic (read_committed),
 * and to a webhook receiver getting it through the notifier. A list of loads is measured one after
 * the other on one broker, each with a fresh monitor ({@link LatencyLoad}), and compared in one table.
 */
@Command(
        name = "latency",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Sends step events at a steady rate over many runs (a share diverging) to the monitor on the "
                    + "embedded broker, with exactly-once on, and measures for each alert the time from sending the step "
                    + "that raised it to the monitor processing it (the alert's detected_at), to the alert being readable "
                    + "on the alerts topic (read_committed) and to a local webhook receiver getting it. Prints p50, p99 "
                    + "and max, and where the monitor's stream threads spent their time.",
            "Lists of rates and run counts measure each load in turn, each with a fresh monitor, and end with "
                    + "one table, a row per load: --rate 5000,20000 --runs 500,2000."
        })
public final class LatencyBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    MonitorBenchOptions monitor = new MonitorBenchOptions();

    @Option(
            names = "--rate",
            defaultValue = "5000",
            split = ",",
            paramLabel = "N",
            description = "Step events per second; a list measures each rate in turn, side by side "
                    + "(default: ${DEFAULT-VALUE}).")
    List<Integer> rate;

    @Option(
            names = "--runs",
            defaultValue = "500",
            split = ",",
            paramLabel = "N",
            description = "Runs sending at once: one count for every rate, or one per rate, in the same order "
                    + "(default: ${DEFAULT-VALUE}).")
    List<Integer> runs;

    @Option(
            names = "--seconds",
            defaultValue = "30",
            description = "How long to send, for each load (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(
            names = "--diverging",
            defaultValue = "0.2",
            description = "Share of runs whose loss grows exponentially part-way (default: ${DEFAULT-VALUE}).")
    double diverging;

    @Option(
            names = "--linger-ms",
            defaultValue = "5",
            description = "The trainer-side producer's linger.ms (default: ${DEFAULT-VALUE}, Kafka's default).")
    int lingerMs;

    /** One load: events per second over a number of runs. */
    record Load(int rate, int runs) {}

    /**
     * The loads {@code --rate} and {@code --runs} ask for: paired in order when the lists are as long
     * as each other, or a single value of either applied to every value of the other.
     *
     * @throws IllegalArgumentException with the sentence for the user when they cannot be paired
     */
    static List<Load> loads(List<Integer> rates, List<Integer> runCounts) {
        int n = Math.max(rates.size(), runCounts.size());
        if (rates.isEmpty()
                || runCounts.isEmpty()
                || (rates.size() != runCounts.size() && rates.size() != 1 && runCounts.size() != 1)) {
            throw new IllegalArgumentException(String.format(
                    Locale.ROOT,
                    "--rate and --runs must list as many values as each other (paired in order), or one of them "
                            + "a single value for every load; got %d rate%s and %d run count%s.",
                    rates.size(),
                    rates.size() == 1 ? "" : "s",
                    runCounts.size(),
                    runCounts.size() == 1 ? "" : "s"));
        }
        List<Load> loads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            loads.add(new Load(rates.get(rates.size() == 1 ? 0 : i), runCounts.get(runCounts.size() == 1 ? 0 : i)));
        }
        return loads;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (monitor.problem() != null) {
            spec.commandLine().getErr().println(monitor.problem());
            return 2;
        }
        if (rate.stream().anyMatch(r -> r < 1)
                || runs.stream().anyMatch(r -> r < 1)
                || seconds < 1
                || diverging <= 0
                || diverging > 1) {
            spec.commandLine()
                    .getErr()
                    .println("--rate, --runs and --seconds must be positive; --diverging above 0 and at most 1.");
            return 2;
        }
        List<Load> loads;
        try {
            loads = loads(rate, runs);
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 2;
        }
        out.println("Losswatch latency benchmark (./losswatch bench latency)");
        out.println("machine: " + Machine.describe());
        out.printf(
                Locale.ROOT,
                "%d load%s, %d s of sending each; monitor %s; producer linger.ms %d, acks all%n",
                loads.size(),
                loads.size() == 1 ? "" : "s",
                seconds,
                monitor.describe(),
                lingerMs);
        out.flush();
        Path brokerDir = PerfSupport.scratch("latency-broker");
        List<LatencyLoad.Result> results = new ArrayList<>();
        try (EmbeddedKafka kafka =
                EmbeddedKafka.start(EmbeddedKafka.Config.defaults().withDataDir(brokerDir))) {
            for (Load load : loads) {
                results.add(new LatencyLoad(load.rate(), load.runs(), seconds, diverging, lingerMs, monitor)
                        .measure(out, kafka));
            }
        } catch (LatencyLoad.MonitorDidNotStart e) {
            out.flush();
            spec.commandLine().getErr().println(e.getMessage());
            return 1;
        } finally {
            PerfSupport.delete(brokerDir);
        }
        out.println();
        printTable(out, results);
        out.println("machine after: " + Machine.describe());
        out.flush();
        return 0;
    }

    /** One row per load, in the order measured. */
    private static void printTable(PrintWriter out, List<LatencyLoad.Result> results) {
        out.printf(
                Locale.ROOT,
                "| events/s | runs | events sent | behind when sending stopped | alerts timed (topic / webhook) "
                        + "| processed p50 / p99 | topic p50 / p99 / max | webhook p50 / p99 / max "
                        + "| targets (topic p99 < %d ms, webhook p99 < %d ms) |%n",
                LatencyLoad.TOPIC_TARGET_MS,
                LatencyLoad.WEBHOOK_TARGET_MS);
        out.println("|---:|---:|---:|---:|---:|---|---|---|---|");
        for (LatencyLoad.Result r : results) {
            out.printf(
                    Locale.ROOT,
                    "| %,d | %,d | %,d | %,d | %d / %d | %s | %s | %s | %s |%n",
                    r.rate(),
                    r.runs(),
                    r.sent(),
                    r.behind(),
                    r.topic().n(),
                    r.webhook().n(),
                    ms(r.processed(), false),
                    ms(r.topic(), true),
                    ms(r.webhook(), true),
                    targets(r));
        }
    }

    private static String ms(LatencyLoad.Percentiles p, boolean withMax) {
        if (p.n() == 0) {
            return "no alerts";
        }
        return withMax
                ? String.format(Locale.ROOT, "%.0f / %.0f / %.0f ms", p.p50(), p.p99(), p.max())
                : String.format(Locale.ROOT, "%.0f / %.0f ms", p.p50(), p.p99());
    }

    private static String targets(LatencyLoad.Result r) {
        if (r.topic().n() == 0 || r.webhook().n() == 0) {
            return "no alerts to time";
        }
        boolean topic = r.topic().meets(LatencyLoad.TOPIC_TARGET_MS);
        boolean webhook = r.webhook().meets(LatencyLoad.WEBHOOK_TARGET_MS);
        if (topic && webhook) {
            return "met";
        }
        return "missed: " + (topic ? "webhook" : webhook ? "topic" : "topic and webhook");
    }
}
