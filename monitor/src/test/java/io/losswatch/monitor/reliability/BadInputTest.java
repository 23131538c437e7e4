package io.losswatch.monitor.reliability;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.monitor.LosswatchMetrics;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.monitor.MonitorTopology;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad record in {@link BadRecords}, through the production topology. */
public class BadInputTest {
    private static final Instant START = Instant.parse("2026-11-27T05:00:00Z");

    @TempDir
    Path stateDir;

    /** The topology under test, with its input and outputs. */
    public static final class Harness implements AutoCloseable {
        final TopologyTestDriver driver;
        final TestInputTopic<byte[], byte[]> metrics;
        final TestOutputTopic<byte[], byte[]> alerts;
        final TestOutputTopic<byte[], byte[]> dlq;
        final LosswatchMetrics meters;

        public Harness(Path stateDir) {
            MonitorConfig config = MonitorConfig.defaults("unused:9092").withStateDir(stateDir);
            meters = new LosswatchMetrics(new SimpleMeterRegistry());
            driver = new TopologyTestDriver(
                    MonitorTopology.build(config, meters, Clock.fixed(START, ZoneOffset.UTC)),
                    config.streamsProperties(),
                    START);
            metrics = driver.createInputTopic(
                    Topics.METRICS,
                    new ByteArraySerializer(),
                    new ByteArraySerializer(),
                    START,
                    java.time.Duration.ofMillis(10));
            alerts = driver.createOutputTopic(Topics.ALERTS, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            dlq = driver.createOutputTopic(Topics.DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }

        public void send(StepEvent e) {
            metrics.pipeInput(e.runId().getBytes(UTF_8), EventJson.writeStep(e));
        }

        double count(String meter, String reason) {
            Counter c = meters.registry()
                    .find(meter)
                    .tag(LosswatchMetrics.REASON, reason)
                    .counter();
            return c == null ? 0 : c.count();
        }

        double ignored() {
            return meters.registry().find(LosswatchMetrics.IGNORED_RECORDS).counters().stream()
                    .mapToDouble(Counter::count)
                    .sum();
        }

        /** Sends one case and says what became of it, in the corpus's words. */
        String outcome(BadRecords.Case c) {
            double ignoredBefore = ignored();
            metrics.pipeInput(new TestRecord<>(c.key(), c.value()));
            if (!dlq.isEmpty()) {
                TestRecord<byte[], byte[]> dead = dlq.readRecord();
                assertThat(dlq.isEmpty())
                        .as("one dead letter for '%s'", c.name())
                        .isTrue();
                assertThat(dead.value())
                        .as("the DLQ keeps the bytes of '%s'", c.name())
                        .isEqualTo(c.value());
                assertThat(dead.headers().lastHeader(Topics.ERROR_HEADER)).isNotNull();
                return "dlq:"
                        + new String(
                                dead.headers().lastHeader(Topics.REASON_HEADER).value(), UTF_8);
            }
            if (ignored() > ignoredBefore) {
                return "ignored:"
                        + meters.registry().find(LosswatchMetrics.IGNORED_RECORDS).counters().stream()
                                .filter(x -> x.count() > 0)
                                .map(x -> x.getId().getTag(LosswatchMetrics.REASON))
                                .findFirst()
                                .orElseThrow();
            }
            return "accepted";
        }

        /** The alerts of one run, as "STATUS TYPE@step onset N". */
        public List<String> alertsOf(String runId) {
            List<String> out = new ArrayList<>();
            for (byte[] v : alerts.readValuesToList()) {
                try {
                    var a = EventJson.parseAlert(v);
                    if (a.runId().equals(runId)) {
                        out.add(a.status() + " " + a.type() + "@" + a.step() + " onset " + a.onsetStep());
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
            return out;
        }

        @Override
        public void close() {
            driver.close();
        }
    }

    @Test
    void shouldHandleEveryKindOfBadRecordAsDocumentedAndAlertOnTheGoodRunsExactlyAsWithoutThem() throws Exception {
        List<String> clean;
        List<String> cleanHealthy;
        try (Harness h = new Harness(stateDir.resolve("clean"))) {
            for (int i = 0; i < BadRecords.STEPS; i++) {
                h.send(BadRecords.divergingStep(i));
                h.send(BadRecords.healthyStep(i));
            }
            List<byte[]> values = h.alerts.readValuesToList();
            h.alerts.readValuesToList();
            clean = new ArrayList<>();
            cleanHealthy = new ArrayList<>();
            for (byte[] v : values) {
                var a = EventJson.parseAlert(v);
                String s = a.status() + " " + a.type() + "@" + a.step() + " onset " + a.onsetStep();
                (a.runId().equals(BadRecords.DIVERGING) ? clean : cleanHealthy).add(s);
            }
        }
        assertThat(clean).as("the diverging run alerts without bad input").isNotEmpty();
        assertThat(cleanHealthy).isEmpty();

        List<BadRecords.Case> corpus = BadRecords.corpus();
        assertThat(corpus.stream().map(BadRecords.Case::name).distinct()).hasSizeGreaterThanOrEqualTo(30);
        Map<String, String> expected = new LinkedHashMap<>();
        Map<String, String> actual = new LinkedHashMap<>();
        List<String> withBadInput = new ArrayList<>();
        try (Harness h = new Harness(stateDir.resolve("bad"))) {
            int next = 0;
            for (int i = 0; i < BadRecords.STEPS; i++) {
                h.send(BadRecords.divergingStep(i));
                // the bad records are interleaved with the good ones, a few at each step
                for (int k = 0; k < 2 && next < corpus.size(); k++, next++) {
                    BadRecords.Case c = corpus.get(next);
                    expected.put(c.name(), c.expected());
                    actual.put(c.name(), h.outcome(c));
                }
                if (i == 20) {
                    for (BadRecords.Case c : BadRecords.staleSteps(i)) {
                        expected.put(c.name(), c.expected());
                        actual.put(c.name(), h.outcome(c));
                    }
                }
                h.send(BadRecords.healthyStep(i));
            }
            assertThat(next).isEqualTo(corpus.size());
            assertThat(actual).isEqualTo(expected);
            withBadInput.addAll(h.alertsOf(BadRecords.DIVERGING));
            assertThat(h.count(LosswatchMetrics.INVALID_RECORDS, "processing_error"))
                    .isZero();
            long dead =
                    expected.values().stream().filter(e -> e.startsWith("dlq:")).count();
            double counted = h.meters.registry().find(LosswatchMetrics.INVALID_RECORDS).counters().stream()
                    .mapToDouble(Counter::count)
                    .sum();
            assertThat(counted).as("every dead letter is counted by reason").isEqualTo(dead);
            assertThat(h.count(LosswatchMetrics.INVALID_RECORDS, "not_json"))
                    .isEqualTo(expected.values().stream()
                            .filter("dlq:not_json"::equals)
                            .count());
            assertThat(h.count(LosswatchMetrics.IGNORED_RECORDS, "stale_step")).isEqualTo(2);
        }
        assertThat(withBadInput)
                .as("the diverging run's alerts with bad input interleaved")
                .isEqualTo(clean);
    }
}
