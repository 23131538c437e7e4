package io.losswatch.systemtests.reliability;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 concurrent runs in one monitor with a 512 MB heap: it keeps up, and once the runs go idle
 * their metric series and their detection state expire, so nothing piles up.
 */
class ManyRunsIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final int RUNS = 10_000;
    private static final int STEPS = 8;

    @TempDir
    Path tmp;

    @Test
    void shouldHoldTenThousandRunsIn512MbAndForgetThemOnceIdle() throws Exception {
        Path log = Files.createDirectories(Path.of("target", "it-logs"))
                .resolve("many-runs-" + UUID.randomUUID() + ".log");
        try (MonitorProcess monitor = MonitorProcess.start(
                        log,
                        "512m",
                        Map.of(),
                        "--bootstrap-servers",
                        KAFKA.bootstrapServers(),
                        "--state-dir",
                        tmp.resolve("state").toString(),
                        "--run-idle-timeout",
                        "15s",
                        "--state-retention",
                        "15s");
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                KAFKA.bootstrapServers(),
                                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                                true,
                                ProducerConfig.ACKS_CONFIG,
                                "all",
                                ProducerConfig.LINGER_MS_CONFIG,
                                20),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            monitor.awaitHealthy(Duration.ofSeconds(90));
            // all runs at once, step by step, as 10,000 concurrent trainers would
            for (int step = 0; step < STEPS; step++) {
                for (int r = 0; r < RUNS; r++) {
                    String run = "many-" + r;
                    producer.send(new ProducerRecord<>(
                            Topics.METRICS,
                            run.getBytes(UTF_8),
                            EventJson.writeStep(
                                    StepEvent.of(run, step, 2.3 * Math.exp(-step / 50.0) * (1 + 0.001 * (r % 7)))
                                            .withGradNorm(1.0)
                                            .withLearningRate(0.001))));
                }
            }
            producer.flush();

            await().alias("all runs live on /metrics")
                    .atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> monitor.metric("losswatch_records_total").orElse(0) >= (double) RUNS * STEPS);
            // read the series first: a forced GC under load can take longer than a run's idle timeout
            double peakRuns = monitor.metric("losswatch_active_runs").orElse(-1);
            String metricsAtPeak = monitor.get("/metrics").body();
            double liveStates = monitor.metric("losswatch_live_run_states").orElse(-1);
            double stateBytes = monitor.metric("losswatch_live_run_state_bytes").orElse(-1);
            double stateLimit =
                    monitor.metric("losswatch_live_run_state_limit_bytes").orElse(-1);
            gc(monitor);
            double heapAtPeak = heapUsed(monitor);
            System.out.printf(
                    "ManyRunsIT: %d runs live, heap used %.0f MB, /metrics %d KB%n",
                    (long) peakRuns, heapAtPeak / 1e6, metricsAtPeak.length() / 1024);
            assertThat(peakRuns).as("runs with live series").isGreaterThan(RUNS * 0.9);
            System.out.printf(
                    "ManyRunsIT: %d run states live, %.0f bytes each, of %.0f MB%n",
                    (long) liveStates, stateBytes / liveStates, stateLimit / 1e6);
            assertThat(liveStates)
                    .as("run states live (the heap holds them all)")
                    .isBetween(RUNS * 0.9, (double) RUNS);
            assertThat(stateBytes / liveStates).as("heap charged a live run").isBetween(1_500.0, 5_500.0);
            assertThat(stateBytes)
                    .as("heap of the live run states, against its limit")
                    .isLessThan(stateLimit);
            assertThat(metricsAtPeak).contains("losswatch_loss{run_id=\"many-9999\"}");

            await().alias("idle runs' series are removed")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> monitor.metric("losswatch_active_runs").orElse(-1) == 0);
            String metricsAfter = monitor.get("/metrics").body();
            gc(monitor);
            double heapAfter = heapUsed(monitor);
            assertThat(metricsAfter).doesNotContain("run_id=\"many-");
            await().alias("idle runs' detection state is deleted (tombstones on the changelog)")
                    .atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(() -> deletedStates() == RUNS);
            System.out.printf(
                    "ManyRunsIT: after expiry heap used %.0f MB, /metrics %d KB (was %d KB)%n",
                    heapAfter / 1e6, metricsAfter.length() / 1024, metricsAtPeak.length() / 1024);
            assertThat(heapAfter)
                    .as("live heap after the runs expired, against the peak")
                    .isLessThan(heapAtPeak);
            assertThat(metricsAfter.length()).isLessThan(metricsAtPeak.length() / 10);
            assertThat(monitor.isAlive()).isTrue();
            assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError");
        }
    }

    /** A full GC in the monitor, so heap figures count live objects only. */
    private static void gc(MonitorProcess monitor) throws Exception {
        Process jcmd = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(monitor.pid()),
                        "GC.run")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            assertThat(jcmd.waitFor(30, java.util.concurrent.TimeUnit.SECONDS))
                    .as("jcmd GC.run finished")
                    .isTrue();
        } finally {
            jcmd.destroyForcibly();
        }
    }

    private static double heapUsed(MonitorProcess monitor) throws Exception {
        double sum = 0;
        for (String line : monitor.get("/metrics").body().split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{area=\"heap\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static final String CHANGELOG = "losswatch-monitor-run-state-changelog";

    /**
     * Runs all of whose keys on the state changelog (the run id, and the run id, NUL and a slot for the
     * steps logged since its snapshot) have a tombstone as their latest record.
     */
    private static long deletedStates() {
        Map<String, Boolean> deleted = new HashMap<>();
        // to the end of the topic: a run's slots and tombstones are many records, more than a quiet period reads
        for (var r : Committed.recordsSoFar(KAFKA.bootstrapServers(), CHANGELOG)) {
            deleted.put(r.key(), r.value() == null);
        }
        Map<String, Boolean> runs = new HashMap<>();
        deleted.forEach((key, tombstone) -> {
            int sep = key.indexOf('\u0000');
            runs.merge(sep < 0 ? key : key.substring(0, sep), tombstone, Boolean::logicalAnd);
        });
        return runs.values().stream().filter(d -> d).count();
    }
}
