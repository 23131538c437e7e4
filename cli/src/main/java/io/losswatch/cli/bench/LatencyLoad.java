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
import io.losswatch.monitor.LosswatchMetrics;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.notify.Notifier;
import io.losswatch.notify.NotifierConfig;
import io.losswatch.notify.WebhookFormat;
import io.losswatch.notify.WebhookTarget;
import io.micrometer.core.instrument.Counter;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * One load of {@code bench latency} on a shared broker: its own monitor (application id, state
 * directory, topics), notifier and webhook receiver, all started and stopped within {@link #measure},
 * so that one load's backlog, state or alerts cannot reach the next. An instance measures once.
 */
final class LatencyLoad {
    /** The targets the latencies are held to: alerts readable on the topic, and at a webhook, p99. */
    static final long TOPIC_TARGET_MS = 250;

    static final long WEBHOOK_TARGET_MS = 400;

    private static final Duration MONITOR_START = Duration.ofSeconds(120);
    private static final Duration CATCH_UP = Duration.ofSeconds(120);
    /** After the monitor caught up, alerts still arriving: wait until none came for this long... */
    private static final Duration ALERTS_QUIET = Duration.ofSeconds(2);
    /** ...but no longer than this. */
    private static final Duration ALERTS_AT_MOST = Duration.ofSeconds(15);

    /** The monitor did not start in time: nothing was measured. */
    static final class MonitorDidNotStart extends Exception {
        MonitorDidNotStart() {
            super("The monitor did not start within " + MONITOR_START.toSeconds() + " s.");
        }
    }

    /** p50, p99 and max of one latency over the {@code n} alerts measured, in ms (NaN when none). */
    record Percentiles(int n, double p50, double p99, double max) {
        static Percentiles of(List<Long> nanos) {
            List<Long> s = new ArrayList<>(nanos);
            Collections.sort(s);
            if (s.isEmpty()) {
                return new Percentiles(0, Double.NaN, Double.NaN, Double.NaN);
            }
            return new Percentiles(
                    s.size(),
                    s.get((int) Math.floor(0.50 * (s.size() - 1))) / 1e6,
                    s.get((int) Math.ceil(0.99 * (s.size() - 1))) / 1e6,
                    s.get(s.size() - 1) / 1e6);
        }

        /** Whether alerts were measured and their p99 is under the target. */
        boolean meets(long targetMs) {
            return n > 0 && p99 < targetMs;
        }
    }

    /** What one load measured: the events sent, how far behind the monitor was when sending stopped, the latencies. */
    record Result(
            int rate,
            int runs,
            long sent,
            long behind,
            Percentiles processed,
            Percentiles topic,
            Percentiles webhook) {}

    private final int rate;
    private final int runs;
    private final int seconds;
    private final double diverging;
    private final int lingerMs;
    private final MonitorBenchOptions monitor;

    /** When each diverging step was sent (nanoTime), by run and step. */
    private final Map<String, Long> sentAt = new ConcurrentHashMap<>();

    private final List<Long> toDetection = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> toTopic = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> toWebhook = Collections.synchronizedList(new ArrayList<>());

    LatencyLoad(int rate, int runs, int seconds, double diverging, int lingerMs, MonitorBenchOptions monitor) {
        this.rate = rate;
        this.runs = runs;
        this.seconds = seconds;
        this.diverging = diverging;
        this.lingerMs = lingerMs;
        this.monitor = monitor;
    }

    /** Sends this load to a fresh monitor on {@code kafka}, prints its detail lines and returns its figures. */
    Result measure(PrintWriter out, EmbeddedKafka kafka) throws Exception {
        out.printf(Locale.ROOT, "%nload: %,d events/s over %d runs for %d s%n", rate, runs, seconds);
        out.flush();
        Path stateDir = PerfSupport.scratch("latency-state");
        String id = "latency-" + UUID.randomUUID().toString().substring(0, 8);
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", ex -> {
            long now = System.nanoTime();
            byte[] body = ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(204, -1);
            ex.close();
            record(body, now, toWebhook, null);
        });
        receiver.start();
        AtomicBoolean reading = new AtomicBoolean(true);
        Thread reader = null;
        try {
            MonitorConfig config = monitor.apply(MonitorConfig.defaults(kafka.bootstrapServers())
                    .withStateDir(stateDir)
                    .withApplicationId(id)
                    .withTopics(id + ".metrics", id + ".alerts", id + ".dlq"));
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
                if (!app.awaitRunning(MONITOR_START)) {
                    throw new MonitorDidNotStart();
                }
                reader = new Thread(
                        () -> readAlerts(kafka.bootstrapServers(), config.alertsTopic(), reading),
                        "latency-alert-reader");
                reader.start();
                long sent = send(kafka.bootstrapServers(), config.metricsTopic());
                Counter records = app.registry().get(LosswatchMetrics.RECORDS).counter();
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
                out.flush();
                long caughtUp = System.nanoTime() + CATCH_UP.toNanos();
                while (records.count() < sent && System.nanoTime() < caughtUp) {
                    Thread.sleep(50);
                }
                awaitLastAlerts();
                out.printf(
                        Locale.ROOT,
                        "sent %,d events in %d s; %d firing alerts read from the topic, %d received "
                                + "by the webhook%n",
                        sent,
                        seconds,
                        toTopic.size(),
                        toWebhook.size());
                Result result = new Result(
                        rate,
                        runs,
                        sent,
                        behind,
                        Percentiles.of(toDetection),
                        Percentiles.of(toTopic),
                        Percentiles.of(toWebhook));
                print(out, "step sent -> processed by the monitor (detected_at)", result.processed(), -1);
                print(out, "step sent -> alert readable on topic (read_committed)", result.topic(), TOPIC_TARGET_MS);
                print(out, "step sent -> webhook received it", result.webhook(), WEBHOOK_TARGET_MS);
                out.println("machine after this load: " + Machine.describe());
                out.flush();
                return result;
            }
        } finally {
            reading.set(false);
            if (reader != null) {
                reader.join(5000);
            }
            receiver.stop(0);
            PerfSupport.delete(stateDir);
        }
    }

    /** Until no new alert came for {@link #ALERTS_QUIET}, at most {@link #ALERTS_AT_MOST}. */
    private void awaitLastAlerts() throws InterruptedException {
        long until = System.nanoTime() + ALERTS_AT_MOST.toNanos();
        long quietSince = System.nanoTime();
        int seen = -1;
        while (System.nanoTime() < until && System.nanoTime() - quietSince < ALERTS_QUIET.toNanos()) {
            int now = toTopic.size() + toWebhook.size();
            if (now != seen) {
                seen = now;
                quietSince = System.nanoTime();
            }
            Thread.sleep(50);
        }
    }

    /**
     * Where the stream threads' time went, from Kafka Streams' thread metrics: the share of time spent
     * processing, committing and polling (averaged over the threads), and its commit latency, which
     * Kafka records as a commit's duration divided by the number of tasks it committed (one task per
     * partition here). A step that arrives while its thread commits waits for the commit to end.
     */
    private static String threadTimes(KafkaStreams streams) {
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
    private void record(byte[] alertJson, long nowNanos, List<Long> into, List<Long> detection) {
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

    private void readAlerts(String servers, String topic, AtomicBoolean reading) {
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
            PerfSupport.fromStart(c, topic);
            while (reading.get()) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                    record(r.value(), System.nanoTime(), toTopic, toDetection);
                }
            }
        }
    }

    /** Sends at a steady rate, run after run for each step; remembers when each diverging step was sent. */
    private long send(String servers, String topic) throws InterruptedException {
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

    private static void print(PrintWriter out, String what, Percentiles p, long targetMs) {
        if (p.n() == 0) {
            out.println(what + ": no alerts measured");
            return;
        }
        out.printf(
                Locale.ROOT,
                "%-55s n=%d  p50 %.0f ms  p99 %.0f ms  max %.0f ms%s%n",
                what,
                p.n(),
                p.p50(),
                p.p99(),
                p.max(),
                targetMs < 0
                        ? ""
                        : String.format(
                                Locale.ROOT,
                                "  (target p99 < %d ms: %s)",
                                targetMs,
                                p.meets(targetMs) ? "met" : "missed"));
    }
}
