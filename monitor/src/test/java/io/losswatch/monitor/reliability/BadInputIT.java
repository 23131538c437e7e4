package io.losswatch.monitor.reliability;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.monitor.LosswatchMetrics;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import io.micrometer.core.instrument.Counter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The bad-input corpus through a real broker and a running monitor, interleaved with good runs. */
class BadInputIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path tmp;

    @Test
    void shouldDeadLetterCountOrIgnoreEveryBadRecordStayUpAndAlertOnTheGoodRunsAsWithoutThem() throws Exception {
        List<String> expectedAlerts;
        try (BadInputTest.Harness h = new BadInputTest.Harness(tmp.resolve("reference"))) {
            for (int i = 0; i < BadRecords.STEPS; i++) {
                h.send(BadRecords.divergingStep(i));
                h.send(BadRecords.healthyStep(i));
            }
            expectedAlerts = h.alertsOf(BadRecords.DIVERGING);
        }
        List<BadRecords.Case> sent = new ArrayList<>();
        try (MonitorApp monitor = MonitorApp.start(
                        MonitorConfig.defaults(KAFKA.bootstrapServers()).withStateDir(tmp.resolve("state")),
                        MonitorApp.Options.defaults().withHttp("127.0.0.1", 0));
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                        Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                KAFKA.bootstrapServers(),
                                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                                true,
                                ProducerConfig.ACKS_CONFIG,
                                "all"),
                        new ByteArraySerializer(),
                        new ByteArraySerializer())) {
            await().alias("monitor is running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
            List<BadRecords.Case> corpus = BadRecords.corpus();
            int next = 0;
            for (int i = 0; i < BadRecords.STEPS; i++) {
                send(producer, BadRecords.divergingStep(i));
                // the bad records are interleaved with the good ones, a few at each step
                List<BadRecords.Case> now = new ArrayList<>();
                for (int k = 0; k < 2 && next < corpus.size(); k++, next++) {
                    now.add(corpus.get(next));
                }
                if (i == 20) {
                    now.addAll(BadRecords.staleSteps(i));
                }
                for (BadRecords.Case c : now) {
                    producer.send(new ProducerRecord<>(Topics.METRICS, c.key(), c.value()));
                }
                sent.addAll(now);
                send(producer, BadRecords.healthyStep(i));
            }
            producer.flush();

            int total = 2 * BadRecords.STEPS + sent.size();
            await().alias("monitor has read every record")
                    .atMost(Duration.ofSeconds(90))
                    .until(() -> monitor.registry()
                                    .get(LosswatchMetrics.RECORDS)
                                    .counter()
                                    .count()
                            >= total);
            assertThat(monitor.isRunning()).as("the monitor is still up").isTrue();

            Map<String, Long> expectedDead = new TreeMap<>();
            sent.stream()
                    .filter(BadRecords.Case::deadLetter)
                    .forEach(c -> expectedDead.merge(c.reason(), 1L, Long::sum));
            Map<String, Long> counted = new TreeMap<>();
            for (Counter c :
                    monitor.registry().find(LosswatchMetrics.INVALID_RECORDS).counters()) {
                if (c.count() > 0) {
                    counted.put(c.getId().getTag(LosswatchMetrics.REASON), (long) c.count());
                }
            }
            assertThat(counted).as("dead letters counted by reason").isEqualTo(expectedDead);
            assertThat(monitor.registry()
                            .get(LosswatchMetrics.IGNORED_RECORDS)
                            .tag(LosswatchMetrics.REASON, "stale_step")
                            .counter()
                            .count())
                    .isEqualTo(2);

            Map<String, Long> inDlq = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> r : read(
                    Topics.DLQ,
                    expectedDead.values().stream().mapToInt(Long::intValue).sum())) {
                inDlq.merge(
                        new String(r.headers().lastHeader(Topics.REASON_HEADER).value(), UTF_8), 1L, Long::sum);
            }
            assertThat(inDlq).as("dead letters on the DLQ topic by reason").isEqualTo(expectedDead);

            List<String> alerts = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : read(Topics.ALERTS, expectedAlerts.size())) {
                AlertEvent a = EventJson.parseAlert(r.value());
                if (a.runId().equals(BadRecords.DIVERGING) || a.runId().equals(BadRecords.HEALTHY)) {
                    alerts.add(a.status() + " " + a.type() + "@" + a.step() + " onset " + a.onsetStep());
                }
            }
            assertThat(alerts).isEqualTo(expectedAlerts);
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, StepEvent e) {
        producer.send(new ProducerRecord<>(Topics.METRICS, e.runId().getBytes(UTF_8), EventJson.writeStep(e)));
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(String topic, int atLeast) {
        return Committed.records(
                KAFKA.bootstrapServers(),
                Map.of(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 4 * 1024 * 1024),
                topic,
                atLeast,
                Duration.ofMillis(1500),
                Duration.ofSeconds(60));
    }
}
