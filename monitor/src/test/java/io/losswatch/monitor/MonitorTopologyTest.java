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
import java.util.Map;
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
                MonitorTopology.build(
                        config, meters, Clock.fixed(Instant.parse("2026-11-27T05:00:00Z"), ZoneOffset.UTC)),
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
        return alerts.readValuesToList().stream()
                .map(v -> {
                    try {
                        return EventJson.parseAlert(v);
                    } catch (Exception ex) {
                        throw new AssertionError(ex);
                    }
                })
                .toList();
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
        assertThat(out)
                .filteredOn(a -> a.status() == AlertStatus.FIRING)
                .extracting(AlertEvent::type)
                .containsExactly(AlertType.LOSS_EXPONENTIAL_GROWTH);
        assertThat(out).filteredOn(a -> a.status() == AlertStatus.RESOLVED).hasSize(1);
        assertThat(out.get(0).onsetStep()).isEqualTo(0);
        assertThat(out.get(0).fit().growthRatePerStep()).isBetween(0.075, 0.085);
        assertThat(dlq.isEmpty()).isTrue();
    }

    @Test
    void shouldSendMalformedRecordsToTheDeadLetterTopicWithTheReasonAndGoOn() {
        metrics.pipeInput("r".getBytes(UTF_8), "not json".getBytes(UTF_8));
        metrics.pipeInput("r".getBytes(UTF_8), "{\"schema\":1,\"step\":1,\"loss\":1}".getBytes(UTF_8));
        metrics.pipeInput(
                "r".getBytes(UTF_8), "{\"schema\":1,\"run_id\":\"r\",\"step\":-4,\"loss\":1}".getBytes(UTF_8));
        metrics.pipeInput(
                "r".getBytes(UTF_8), "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":\"big\"}".getBytes(UTF_8));
        metrics.pipeInput("other".getBytes(UTF_8), EventJson.writeStep(StepEvent.of("r", 1, 1)));
        metrics.pipeInput(null, EventJson.writeStep(StepEvent.of("r", 1, 1)));
        metrics.pipeInput(new TestRecord<>("r".getBytes(UTF_8), (byte[]) null));
        send(StepEvent.of("r", 1, Double.NaN));

        List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
        assertThat(dead)
                .extracting(r ->
                        new String(r.headers().lastHeader(Topics.REASON_HEADER).value(), UTF_8))
                .containsExactly(
                        "not_json",
                        "missing_field",
                        "invalid_step",
                        "invalid_value",
                        "key_mismatch",
                        "missing_key",
                        "empty");
        assertThat(new String(dead.get(0).value(), UTF_8)).isEqualTo("not json");
        assertThat(dead.get(0).headers().lastHeader(Topics.ERROR_HEADER)).isNotNull();
        assertThat(dead.get(0).headers().lastHeader(Topics.SOURCE_OFFSET_HEADER))
                .isNotNull();
        assertThat(readAlerts()).extracting(AlertEvent::type).containsExactly(AlertType.LOSS_NON_FINITE);
        assertThat(meters.registry()
                        .get(LosswatchMetrics.INVALID_RECORDS)
                        .tag("reason", "not_json")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void shouldCountAndIgnoreRepeatedSteps() {
        send(StepEvent.of("r", 1, 1));
        send(StepEvent.of("r", 2, 1));
        send(StepEvent.of("r", 2, 100));
        send(StepEvent.of("r", 1, 100));
        assertThat(meters.registry()
                        .get(LosswatchMetrics.IGNORED_RECORDS)
                        .tag("reason", "stale_step")
                        .counter()
                        .count())
                .isEqualTo(2);
        assertThat(meters.runValue(LosswatchMetrics.LOSS, "r")).hasValue(1);
    }

    private static String lifecycle(AlertEvent a) {
        return a.status().name() + " " + a.type() + "@" + a.step();
    }

    /**
     * A ReLU CNN at Adam lr 1.0 as measured in PyTorch: chance level, a 35000x jump at step 1, back down
     * within a few steps, then pinned at chance level (dead units) with a little noise.
     */
    private static double[] adamLr1() {
        double[] first = {2.31, 81396, 1970, 14.5, 12.2, 7.9, 5.8, 4.2, 4.4, 4.1, 3.5, 3.5};
        double[] loss = new double[200];
        for (int t = 0; t < loss.length; t++) {
            loss[t] = t < first.length ? first[t] : 2.33 + 0.02 * Math.sin(t);
        }
        return loss;
    }

    @Test
    void shouldRaiseAndResolveBlowUpAndCollapseOnAnAdamLr1Run() {
        double[] loss = adamLr1();
        for (int i = 0; i < loss.length; i++) {
            send(StepEvent.of("adam-lr1", i, loss[i])
                    .withLearningRate(1.0)
                    .withLabels(Map.of("optimizer", "adam", "num_classes", "10")));
        }
        List<AlertEvent> out = readAlerts();
        // jumps 35000x at step 1: a blow-up on that step; pinned at ln 10 after it: collapse; back near its
        // earlier level for 50 steps: the blow-up resolves while the collapse stays
        assertThat(out)
                .extracting(MonitorTopologyTest::lifecycle)
                .containsExactly("FIRING LOSS_BLOWUP@1", "FIRING TRAINING_COLLAPSED@22", "RESOLVED LOSS_BLOWUP@56");
        assertThat(out.get(0).onsetStep()).isEqualTo(1);
        assertThat(out.get(0).diagnosis().cause()).isEqualTo(io.losswatch.events.Cause.LEARNING_RATE_TOO_HIGH);
        assertThat(out.get(2).alertId()).isEqualTo(out.get(0).alertId());
        assertThat(meters.runValue(LosswatchMetrics.ALERT_ACTIVE, "adam-lr1", "type", "TRAINING_COLLAPSED"))
                .hasValue(1);
        assertThat(meters.runValue(LosswatchMetrics.ALERT_ACTIVE, "adam-lr1", "type", "LOSS_BLOWUP"))
                .hasValue(0);
    }

    @Test
    void shouldRaiseAndResolveGradientExplosionAndValidationDivergence() {
        for (int i = 0; i < 1600; i++) {
            // gradients double every 8 steps from step 100 to 160, then fall back
            double grad = i <= 100 ? 1.0 : i <= 160 ? Math.exp(Math.log(2) / 8 * (i - 100)) : 1.0;
            send(StepEvent.of("grads", i, 2 * Math.exp(-i / 2000.0)).withGradNorm(grad));
            // validation climbs from step 400 while training falls; regularization added at 900 brings it back
            StepEvent e = StepEvent.of("overfit", i, 2 * Math.exp(-i / 400.0) + 0.01);
            if (i > 0 && i % 20 == 0) {
                double val = 0.6 + 0.4 * Math.exp(-i / 200.0) + (i > 400 && i < 900 ? 0.0008 * (i - 400) : 0);
                e = e.withValLoss(val);
            }
            send(e);
        }
        List<AlertEvent> out = readAlerts();
        assertThat(out)
                .filteredOn(a -> a.runId().equals("grads"))
                .extracting(a -> a.status() + " " + a.type())
                .containsExactly("FIRING GRADIENT_EXPLOSION", "RESOLVED GRADIENT_EXPLOSION");
        assertThat(out)
                .filteredOn(a -> a.runId().equals("overfit"))
                .extracting(a -> a.status() + " " + a.type())
                .containsExactly("FIRING VALIDATION_DIVERGENCE", "RESOLVED VALIDATION_DIVERGENCE");
        AlertEvent val = out.stream()
                .filter(a -> a.type() == AlertType.VALIDATION_DIVERGENCE)
                .findFirst()
                .orElseThrow();
        assertThat(val.diagnosis().cause()).isEqualTo(io.losswatch.events.Cause.INSUFFICIENT_REGULARIZATION);
        assertThat(val.onsetStep()).isBetween(300L, 500L);
    }
}
