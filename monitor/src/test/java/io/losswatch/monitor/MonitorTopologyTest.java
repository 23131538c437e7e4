package io.losswatch.monitor;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitorTopologyTest {
    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> metrics;
    private TestOutputTopic<byte[], byte[]> alerts;
    private TestOutputTopic<byte[], byte[]> dlq;
    private LosswatchMetrics meters;

    @BeforeEach
    void setUp() {
        MonitorConfig config = MonitorConfig.defaults("unused:9092").withStateDir(stateDir);
        meters = new LosswatchMetrics(new SimpleMeterRegistry());
        driver = new TopologyTestDriver(
                MonitorTopology.build(config, meters, Clock.fixed(Instant.parse("2026-11-27T05:00:00Z"), ZoneOffset.UTC)),
                config.streamsProperties());
        metrics = driver.createInputTopic(Topics.METRICS, new ByteArraySerializer(), new ByteArraySerializer());
        alerts = driver.createOutputTopic(Topics.ALERTS, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        dlq = driver.createOutputTopic(Topics.DLQ, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    private void send(StepEvent e) {
        metrics.pipeInput(e.runId().getBytes(UTF_8), EventJson.writeStep(e));
    }

    private List<AlertEvent> readAlerts() {
        return alerts.readValuesToList().stream().map(v -> {
            try {
                return EventJson.parseAlert(v);
            } catch (Exception ex) {
                throw new AssertionError(ex);
            }
        }).toList();
    }

    @Test
    void shouldFireOnceForADivergingRunAndThenResolveAndLeaveTheHealthyRunAlone() {
        for (int i = 0; i < 300; i++) {
            double bad = i < 80 ? Math.exp(0.08 * i) : Math.exp(6.4) * Math.exp(-0.01 * (i - 80));
            send(StepEvent.of("bad", i, bad).withLearningRate(0.5));
            send(StepEvent.of("good", i, 2.3 * Math.exp(-i / 100.0)).withLearningRate(0.001));
        }
        List<AlertEvent> out = readAlerts();
        assertThat(out).extracting(AlertEvent::runId).containsOnly("bad");
        assertThat(out).filteredOn(a -> a.status() == AlertStatus.FIRING)
                .extracting(AlertEvent::type).containsExactly(AlertType.LOSS_EXPONENTIAL_GROWTH);
        assertThat(out).filteredOn(a -> a.status() == AlertStatus.RESOLVED).hasSize(1);
        assertThat(out.get(0).onsetStep()).isEqualTo(0);
        assertThat(out.get(0).fit().growthRatePerStep()).isBetween(0.075, 0.085);
        assertThat(dlq.isEmpty()).isTrue();
    }

    @Test
    void shouldSendMalformedRecordsToTheDeadLetterTopicWithTheReasonAndGoOn() {
        metrics.pipeInput("r".getBytes(UTF_8), "not json".getBytes(UTF_8));
        metrics.pipeInput("r".getBytes(UTF_8), "{\"schema\":1,\"step\":1,\"loss\":1}".getBytes(UTF_8));
        metrics.pipeInput("r".getBytes(UTF_8), "{\"schema\":1,\"run_id\":\"r\",\"step\":-4,\"loss\":1}".getBytes(UTF_8));
        metrics.pipeInput("r".getBytes(UTF_8), "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":\"big\"}".getBytes(UTF_8));
        metrics.pipeInput("other".getBytes(UTF_8), EventJson.writeStep(StepEvent.of("r", 1, 1)));
        metrics.pipeInput(null, EventJson.writeStep(StepEvent.of("r", 1, 1)));
        metrics.pipeInput(new TestRecord<>("r".getBytes(UTF_8), (byte[]) null));
        send(StepEvent.of("r", 1, Double.NaN));

        List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
        assertThat(dead).extracting(r -> new String(r.headers().lastHeader(Topics.REASON_HEADER).value(), UTF_8))
                .containsExactly("not_json", "missing_field", "invalid_step", "invalid_value", "key_mismatch",
                        "missing_key", "empty");
        assertThat(new String(dead.get(0).value(), UTF_8)).isEqualTo("not json");
        assertThat(dead.get(0).headers().lastHeader(Topics.ERROR_HEADER)).isNotNull();
        assertThat(dead.get(0).headers().lastHeader(Topics.SOURCE_OFFSET_HEADER)).isNotNull();
        assertThat(readAlerts()).extracting(AlertEvent::type).containsExactly(AlertType.LOSS_NON_FINITE);
        assertThat(meters.registry().get(LosswatchMetrics.INVALID_RECORDS).tag("reason", "not_json").counter().count())
                .isEqualTo(1);
    }

    @Test
    void shouldCountAndIgnoreRepeatedSteps() {
        send(StepEvent.of("r", 1, 1));
        send(StepEvent.of("r", 2, 1));
        send(StepEvent.of("r", 2, 100));
        send(StepEvent.of("r", 1, 100));
        assertThat(meters.registry().get(LosswatchMetrics.IGNORED_RECORDS).tag("reason", "stale_step").counter().count())
                .isEqualTo(2);
        assertThat(meters.registry().get(LosswatchMetrics.LOSS).tag("run_id", "r").gauge().value()).isEqualTo(1);
    }
}
