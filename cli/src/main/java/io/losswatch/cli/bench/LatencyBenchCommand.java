package io.losswatch.cli.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpServer;
import io.losswatch.bench.perf.BenchEvents;
import io.losswatch.bench.perf.Machine;
import io.losswatch.bench.perf.PerfSupport;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.EventJson;
import io.losswatch.events.InvalidEventException;
import io.losswatch.kafka.local.EmbeddedKafka;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.notify.Notifier;
import io.losswatch.notify.NotifierConfig;
import io.losswatch.notify.WebhookFormat;
import io.losswatch.notify.WebhookTarget;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.DoubleSummaryStatistics;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code losswatch bench latency}: at a steady event rate, the time from the producer sending the
 * step that crossed a threshold to the alert being readable on the alerts topic (read_committed),
 * and to a webhook receiver getting it through the notifier.
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
                    + "and max, and where the monitor's stream threads spent their time."
        })
public final class LatencyBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    MonitorBenchOptions monitor = new MonitorBenchOptions();

    @Option(
            names = "--rate",
            defaultValue = "5000",
            description = "Step events per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--runs", defaultValue = "500", description = "Runs sending at once (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--seconds", defaultValue = "30", description = "How long to send (default: ${DEFAULT-VALUE}).")
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

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (monitor.problem() != null) {
            spec.commandLine().getErr().println(monitor.problem());
            return 2;
        }
        if (rate < 1 || runs < 1 || seconds < 1 || diverging <= 0 || diverging > 1) {
            spec.commandLine()
                    .getErr()
                    .println("--rate, --runs and --seconds must be positive; " + "--diverging above 0 and at most 1.");
            return 2;
        }
        out.println("Losswatch latency benchmark (./losswatch bench latency)");
        out.println("machine: " + Machine.describe());
        out.printf(
                Locale.ROOT,
                "load: %,d events/s over %d runs for %d s; monitor %s; producer linger.ms %d, acks all%n",
                rate,
                runs,
                seconds,
                monitor.describe(),
                lingerMs);
        out.flush();
        Path brokerDir = PerfSupport.scratch("latency-broker");
        Path stateDir = PerfSupport.scratch("latency-state");
        String id = "latency-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        List<Long> toTopic = Collections.synchronizedList(new ArrayList<>());
        List<Long> toWebhook = Collections.synchronizedList(new ArrayList<>());
        List<Long> toDetection = Collections.synchronizedList(new ArrayList<>());
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", ex -> {
            long now = System.nanoTime();
            byte[] body = ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(204, -1);
            ex.close();
            record(body, now, sentAt, toWebhook, null);
        });
        receiver.start();
        AtomicBoolean reading = new AtomicBoolean(true);
        try (EmbeddedKafka kafka =
                EmbeddedKafka.start(EmbeddedKafka.Config.defaults().withDataDir(brokerDir))) {
            MonitorConfig defaults = MonitorConfig.defaults(kafka.bootstrapServers())
                    .withStateDir(stateDir)
                    .withApplicationId(id)
                    .withTopics(id + ".metrics", id + ".alerts", id + ".dlq");
            MonitorConfig config = monitor.apply(defaults);
            WebhookTarget hook = WebhookTarget.of(
                    "bench",
                    "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook",
                    WebhookFormat.GENERIC,
                    null,
                    Map.of());
            try (MonitorApp app = MonitorApp.start(
                            config, new MonitorApp.Options("127.0.0.1", -1, true, monitor.partitions, 30));
                    Notifier notifier = Notifier.start(
                            NotifierConfig.of(kafka.bootstrapServers(), List.of(hook))
                                    .withTopic(config.alertsTopic())
                                    .withGroupPrefix(id),
                            new SimpleMeterRegistry())) {
                if (!app.awaitRunning(Duration.ofSeconds(120))) {
                    spec.commandLine().getErr().println("The monitor did not start within 2 minutes.");
                    return 1;
                }
                Thread reader = new Thread(
                        () -> readAlerts(
                                kafka.bootstrapServers(), config.alertsTopic(), sentAt, toTopic, toDetection, reading),
                        "latency-alert-reader");
                reader.start();
                long sent = send(kafka.bootstrapServers(), config.metricsTopic(), sentAt);
                io.micrometer.core.instrument.Counter records = app.registry()
                        .get(io.losswatch.monitor.LosswatchMetrics.RECORDS)
                        .counter();
                long behind = sent - (long) records.count();
                out.printf(
                        Locale.ROOT,
                        "the monitor processed %,d events while they were sent (%s); when the last "
                                + "was sent it was %,d events behind%s%n",
                        sent - behind,
                        PerfSupport.rate((sent - behind) / (double) seconds),
                        behind,
                        behind > rate
                                ? " (more than a second's worth: it does not keep up with this rate here, so "
                                        + "the latencies below include queueing)"
                                : "");
                out.println("the monitor's stream threads while sending: " + threadTimes(app.streams()));
                long caughtUp = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (records.count() < sent && System.nanoTime() < caughtUp) {
                    Thread.sleep(50);
                }
                // let the last alerts arrive: until nothing new came for 2 s, at most 15 s
                long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                long quietSince = System.nanoTime();
                int seen = -1;
                while (System.nanoTime() < until && System.nanoTime() - quietSince < 2_000_000_000L) {
                    int now = toTopic.size() + toWebhook.size();
                    if (now != seen) {
                        seen = now;
                        quietSince = System.nanoTime();
                    }
                    Thread.sleep(50);
                }
                reading.set(false);
                reader.join(5000);
                out.printf(
                        Locale.ROOT,
                        "sent %,d events in %d s; %d firing alerts read from the topic, %d received "
                                + "by the webhook%n",
                        sent,
                        seconds,
                        toTopic.size(),
                        toWebhook.size());
                print(out, "step sent -> processed by the monitor (detected_at)", toDetection, -1);
                print(out, "step sent -> alert readable on topic (read_committed)", toTopic, 250);
                print(out, "step sent -> webhook received it", toWebhook, 400);
            }
            out.println("machine after: " + Machine.describe());
        } finally {
            receiver.stop(0);
            PerfSupport.delete(stateDir);
            PerfSupport.delete(brokerDir);
        }
        out.flush();
        return 0;
    }

    /**
     * Where the stream threads' time went, from Kafka Streams' thread metrics: the share of time spent
     * processing, committing and polling (averaged over the threads), and its commit latency, which
     * Kafka records as a commit's duration divided by the number of tasks it committed (one task per
     * partition here). A step that arrives while its thread commits waits for the commit to end.
     */
    static String threadTimes(org.apache.kafka.streams.KafkaStreams streams) {
        Map<String, DoubleSummaryStatistics> v = new HashMap<>(); // one value per stream thread
        streams.metrics().forEach((name, metric) -> {
            if (name.group().equals("stream-thread-metrics") && metric.metricValue() instanceof Double d) {
                v.computeIfAbsent(name.name(), k -> new DoubleSummaryStatistics())
                        .accept(d);
            }
        });
        DoubleSummaryStatistics none = new DoubleSummaryStatistics();
        return String.format(
                Locale.ROOT,
                "processing %.0f%%, committing %.0f%%, polling %.0f%% of the time; "
                        + "commit latency per task committed %.0f ms on average, %.0f ms at most (%.1f commits/s)",
                100 * v.getOrDefault("process-ratio", none).getAverage(),
                100 * v.getOrDefault("commit-ratio", none).getAverage(),
                100 * v.getOrDefault("poll-ratio", none).getAverage(),
                v.getOrDefault("commit-latency-avg", none).getAverage(),
                v.getOrDefault("commit-latency-max", none).getMax(),
                v.getOrDefault("commit-rate", none).getSum());
    }

    private static String key(String runId, long step) {
        return runId + "#" + step;
    }

    /**
     * A firing alert's latency from when its step was sent; other alerts are not measured. With
     * {@code detection}, also the time from the step's {@code time} (the wall clock when it was sent)
     * to the alert's {@code detected_at} (the monitor's wall clock when it processed the step).
     */
    private static void record(
            byte[] alertJson, long nowNanos, Map<String, Long> sentAt, List<Long> into, List<Long> detection) {
        try {
            AlertEvent a = EventJson.parseAlert(alertJson);
            if (a.status() != AlertStatus.FIRING) {
                return;
            }
            Long sent = sentAt.get(key(a.runId(), a.step()));
            if (sent != null) {
                into.add(nowNanos - sent);
                if (detection != null && a.time() != null && a.detectedAt() != null) {
                    detection.add(Duration.between(a.time(), a.detectedAt()).toNanos());
                }
            }
        } catch (InvalidEventException e) {
            // not an alert: not measured
        }
    }

    private static void readAlerts(
            String servers,
            String topic,
            Map<String, Long> sentAt,
            List<Long> into,
            List<Long> detection,
            AtomicBoolean reading) {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        servers,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                        10,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition()))
                    .toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            while (reading.get()) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                    record(r.value(), System.nanoTime(), sentAt, into, detection);
                }
            }
        }
    }

    /** Sends at a steady rate, run after run for each step; remembers when each diverging step was sent. */
    private long send(String servers, String topic, Map<String, Long> sentAt) throws InterruptedException {
        BenchEvents gen = new BenchEvents("lat", runs, diverging, 11);
        long total = (long) rate * seconds;
        long stepsPerRun = Math.max(1, total / runs);
        gen.planOnsets(stepsPerRun);
        long sent = 0;
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
                        ProducerConfig.LINGER_MS_CONFIG, lingerMs,
                        ProducerConfig.ACKS_CONFIG, "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
            long start = System.nanoTime();
            for (long t = 0; t < stepsPerRun; t++) {
                for (int k = 0; k < runs; k++) {
                    long due = start + (long) (sent * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 1_000_000) {
                        Thread.sleep(wait / 1_000_000);
                    }
                    byte[] value = gen.json(k, t, Instant.now());
                    if (gen.diverges(k)) {
                        sentAt.put(key(gen.runId(k), t), System.nanoTime());
                    }
                    p.send(new ProducerRecord<>(topic, gen.runId(k).getBytes(UTF_8), value));
                    sent++;
                }
            }
            p.flush();
        }
        return sent;
    }

    private static void print(PrintWriter out, String what, List<Long> nanos, long targetMs) {
        List<Long> s = new ArrayList<>(nanos);
        Collections.sort(s);
        if (s.isEmpty()) {
            out.println(what + ": no alerts measured");
            return;
        }
        double p50 = s.get((int) Math.floor(0.50 * (s.size() - 1))) / 1e6;
        double p99 = s.get((int) Math.ceil(0.99 * (s.size() - 1))) / 1e6;
        double max = s.get(s.size() - 1) / 1e6;
        out.printf(
                Locale.ROOT,
                "%-55s n=%d  p50 %.0f ms  p99 %.0f ms  max %.0f ms%s%n",
                what,
                s.size(),
                p50,
                p99,
                max,
                targetMs < 0
                        ? ""
                        : String.format(
                                Locale.ROOT,
                                "  (target p99 < %d ms: %s)",
                                targetMs,
                                p99 < targetMs ? "met" : "missed"));
    }
}
