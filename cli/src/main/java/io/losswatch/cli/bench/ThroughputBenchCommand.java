package io.losswatch.cli.bench;

import io.losswatch.bench.perf.BenchEvents;
import io.losswatch.bench.perf.Machine;
import io.losswatch.bench.perf.PerfSupport;
import io.losswatch.events.EventJson;
import io.losswatch.events.InvalidEventException;
import io.losswatch.kafka.local.EmbeddedKafka;
import io.losswatch.monitor.LosswatchMetrics;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.micrometer.core.instrument.Counter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code losswatch bench throughput}: how close the monitor comes to what Kafka itself allows. One
 * topic on the embedded broker, filled once; then, in the same process, a plain consumer that
 * drains it and parses every record, and the monitor's production topology (exactly-once) that
 * processes it from the start. The ratio of the two is what counts on a shared machine. A third
 * measurement, a Kafka Streams application with the same settings that only parses each record,
 * shows how much of the gap is Kafka Streams itself and how much is the monitor's own work.
 */
@Command(
        name = "throughput",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Fills a topic on the embedded broker with step events, then measures a plain Kafka consumer "
                    + "that drains it and parses the JSON, and the monitor (production topology, exactly-once) "
                    + "processing the same topic from the start. Prints events per second and the ratio.",
            "(c) is a Kafka Streams application with the monitor's settings that only parses each record: "
                    + "the most any Kafka Streams monitor with these settings could do here.",
            "The full-size run is --events 2000000; the default is small enough for a shared laptop."
        })
public final class ThroughputBenchCommand implements Callable<Integer> {
    private static final String TOPIC = "bench.metrics";

    @Spec
    CommandSpec spec;

    @Mixin
    MonitorBenchOptions monitor = new MonitorBenchOptions();

    @Option(
            names = "--events",
            defaultValue = "300000",
            description = "Step events to send (default: ${DEFAULT-VALUE}).")
    int events;

    @Option(
            names = "--runs",
            defaultValue = "1000",
            description = "Runs the events are spread over (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(
            names = "--diverging",
            defaultValue = "0.1",
            description = "Share of runs whose loss grows exponentially part-way (default: ${DEFAULT-VALUE}).")
    double diverging;

    @Option(
            names = "--rounds",
            defaultValue = "1",
            description = "Times to repeat both measurements, alternating, each monitor round from a fresh state "
                    + "(default: ${DEFAULT-VALUE}).")
    int rounds;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (monitor.problem() != null) {
            spec.commandLine().getErr().println(monitor.problem());
            return 2;
        }
        if (events < 1 || runs < 1 || events < runs || rounds < 1 || diverging < 0 || diverging > 1) {
            spec.commandLine()
                    .getErr()
                    .println("--events must be at least --runs, both positive; "
                            + "--rounds positive; --diverging between 0 and 1.");
            return 2;
        }
        out.println("Losswatch throughput benchmark (./losswatch bench throughput)");
        out.println("machine: " + Machine.describe());
        out.println("monitor: " + monitor.describe());
        out.flush();
        Path brokerDir = PerfSupport.scratch("bench-broker");
        try (EmbeddedKafka kafka =
                EmbeddedKafka.start(EmbeddedKafka.Config.defaults().withDataDir(brokerDir))) {
            kafka.createTopic(TOPIC, monitor.partitions);
            BenchEvents gen = new BenchEvents("bench", runs, diverging, 42);
            long stepsPerRun = events / runs;
            long total = stepsPerRun * runs;
            gen.planOnsets(stepsPerRun);
            long bytes = fill(kafka.bootstrapServers(), gen, stepsPerRun);
            out.printf(
                    Locale.ROOT,
                    "topic: %,d events (%d runs x %d steps, %d diverging), %d partitions, %.1f MB of JSON%n",
                    total,
                    runs,
                    stepsPerRun,
                    gen.divergingRuns(),
                    monitor.partitions,
                    bytes / 1e6);
            out.flush();
            List<double[]> results = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                double consumerRate = total / drain(kafka.bootstrapServers(), total);
                out.printf(
                        Locale.ROOT,
                        "round %d  (a) plain consumer + JSON parse: %s%n",
                        round,
                        PerfSupport.rate(consumerRate));
                out.flush();
                MonitorRun m = monitor(kafka.bootstrapServers(), total);
                double monitorRate = total / m.seconds;
                out.printf(
                        Locale.ROOT,
                        "round %d  (b) monitor, %s:        %s  (alerts raised: %d, for %d diverging runs)%n",
                        round,
                        monitor.guarantee,
                        PerfSupport.rate(monitorRate),
                        m.alerts,
                        gen.divergingRuns());
                out.flush();
                double ceilingRate = total / streamsParseOnly(kafka.bootstrapServers(), total);
                out.printf(
                        Locale.ROOT,
                        "round %d  (c) Kafka Streams, same settings, parse only: %s%n",
                        round,
                        PerfSupport.rate(ceilingRate));
                out.flush();
                results.add(new double[] {consumerRate, monitorRate, ceilingRate});
            }
            double a = results.stream().mapToDouble(r -> r[0]).max().orElseThrow();
            double b = results.stream().mapToDouble(r -> r[1]).max().orElseThrow();
            double c = results.stream().mapToDouble(r -> r[2]).max().orElseThrow();
            out.printf(
                    Locale.ROOT,
                    "best of %d: (a) %s, (b) %s, ratio (b)/(a) = %.2f (target 0.5 or better)%n",
                    rounds,
                    PerfSupport.rate(a),
                    PerfSupport.rate(b),
                    b / a);
            out.printf(
                    Locale.ROOT,
                    "  Kafka Streams alone, parse only: (c) %s, (c)/(a) = %.2f; the monitor does (b)/(c) = %.2f "
                            + "of what Kafka Streams allows%n",
                    PerfSupport.rate(c),
                    c / a,
                    b / c);
            out.println("machine after: " + Machine.describe());
        } finally {
            PerfSupport.delete(brokerDir);
        }
        out.flush();
        return 0;
    }

    private long fill(String servers, BenchEvents gen, long stepsPerRun) {
        long bytes = 0;
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        servers,
                        ProducerConfig.LINGER_MS_CONFIG,
                        20,
                        ProducerConfig.BATCH_SIZE_CONFIG,
                        256 * 1024,
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            Instant t0 = Instant.now();
            for (long t = 0; t < stepsPerRun; t++) {
                for (int k = 0; k < gen.runs(); k++) {
                    byte[] v = gen.json(k, t, t0.plusMillis(t * 100));
                    bytes += v.length;
                    p.send(new ProducerRecord<>(
                            TOPIC, gen.runId(k).getBytes(java.nio.charset.StandardCharsets.UTF_8), v));
                }
            }
            p.flush();
        }
        return bytes;
    }

    /** Seconds from the first record to the last one parsed, as a bare consumer does it. */
    private static double drain(String servers, long total) throws InvalidEventException {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        servers,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(TOPIC).stream()
                    .map(i -> new TopicPartition(TOPIC, i.partition()))
                    .toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            long seen = 0;
            long start = 0;
            long sink = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (seen < total && System.nanoTime() < deadline) {
                ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(200));
                if (!rs.isEmpty() && start == 0) {
                    start = System.nanoTime();
                }
                for (ConsumerRecord<byte[], byte[]> r : rs) {
                    sink += EventJson.parseStep(r.value()).step();
                    seen++;
                }
            }
            if (seen < total || sink < 0) {
                throw new IllegalStateException(
                        "the consumer read " + seen + " of " + total + " records in 10 minutes");
            }
            return (System.nanoTime() - start) / 1e9;
        }
    }

    /**
     * Seconds a Kafka Streams application with the monitor's settings (exactly-once, commit interval,
     * --kafka) takes to parse every record and do nothing else: no state, no output.
     */
    private double streamsParseOnly(String servers, long total) throws InterruptedException {
        Path stateDir = PerfSupport.scratch("bench-ceiling");
        String id = "bench-ceiling-" + UUID.randomUUID().toString().substring(0, 8);
        MonitorConfig config = monitor.apply(
                MonitorConfig.defaults(servers).withStateDir(stateDir).withApplicationId(id));
        AtomicLong parsed = new AtomicLong();
        Topology t = new Topology();
        t.addSource("source", new ByteArrayDeserializer(), new ByteArrayDeserializer(), TOPIC);
        t.addProcessor(
                "parse",
                () -> (Processor<byte[], byte[], Void, Void>) r -> {
                    try {
                        EventJson.parseStep(r.value());
                    } catch (InvalidEventException e) {
                        // counted all the same: the monitor would send it to its DLQ
                    }
                    parsed.incrementAndGet();
                },
                "source");
        try (KafkaStreams streams = new KafkaStreams(t, config.streamsProperties())) {
            streams.start();
            return secondsToCount(parsed::get, total, "the parse-only application");
        } finally {
            PerfSupport.delete(stateDir);
        }
    }

    private record MonitorRun(double seconds, long alerts) {}

    /** Seconds from the count's first rise to its reaching {@code total}, polled every 10 ms; at most 20 minutes. */
    private static double secondsToCount(LongSupplier count, long total, String who) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
        long start = 0;
        while (count.getAsLong() < total && System.nanoTime() < deadline) {
            if (start == 0 && count.getAsLong() > 0) {
                start = System.nanoTime();
            }
            Thread.sleep(10);
        }
        long end = System.nanoTime();
        if (count.getAsLong() < total) {
            throw new IllegalStateException(
                    who + " processed " + count.getAsLong() + " of " + total + " records in 20 minutes");
        }
        return (end - start) / 1e9;
    }

    /** Seconds from the monitor's first record to its last, read off its own records counter. */
    private MonitorRun monitor(String servers, long total) throws Exception {
        Path stateDir = PerfSupport.scratch("bench-state");
        String id = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        MonitorConfig defaults = MonitorConfig.defaults(servers)
                .withStateDir(stateDir)
                .withApplicationId(id)
                .withTopics(TOPIC, id + ".alerts", id + ".dlq");
        MonitorConfig config = monitor.apply(defaults);
        try (MonitorApp app =
                MonitorApp.start(config, new MonitorApp.Options("127.0.0.1", -1, true, monitor.partitions, 30))) {
            Counter records = app.registry().get(LosswatchMetrics.RECORDS).counter();
            double seconds = secondsToCount(() -> (long) records.count(), total, "the monitor");
            long alerts = (long) app.registry().find(LosswatchMetrics.ALERTS).counters().stream()
                    .mapToDouble(Counter::count)
                    .sum();
            return new MonitorRun(seconds, alerts);
        } finally {
            PerfSupport.delete(stateDir);
        }
    }
}
