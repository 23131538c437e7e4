package io.losswatch.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class MetricsPublisherTest {

    private static StepEvent step(long n) {
        return StepEvent.of("run-a", n, 1.0 / (n + 1));
    }

    /** A producer whose sends hang, like a real one waiting for an unreachable broker. */
    private static final class StuckProducer extends MockProducer<String, byte[]> {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        StuckProducer() {
            super(true, null, new StringSerializer(), new ByteArraySerializer());
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<String, byte[]> record, Callback callback) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new org.apache.kafka.common.errors.InterruptException(e);
            }
            return super.send(record, callback);
        }
    }

    @Test
    void shouldSendEachEventAsJsonKeyedByRunId() throws Exception {
        MockProducer<String, byte[]> producer =
                new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        try (MetricsPublisher publisher = new MetricsPublisher(producer, "metrics-topic", 16)) {
            assertThat(publisher.offer(step(0))).isTrue();
            assertThat(publisher.offer(step(1))).isTrue();

            assertThat(publisher.flush(Duration.ofSeconds(5))).isTrue();

            assertThat(publisher.sentCount()).isEqualTo(2);
            assertThat(producer.history()).hasSize(2);
            ProducerRecord<String, byte[]> first = producer.history().get(0);
            assertThat(first.topic()).isEqualTo("metrics-topic");
            assertThat(first.key()).isEqualTo("run-a");
            assertThat(EventJson.parseStep(first.value()).step()).isZero();
            assertThat(new String(first.value(), StandardCharsets.UTF_8)).contains("\"run_id\"");
        }
    }

    @Test
    void shouldNeverBlockWhenTheBufferIsFullButDropAndCount() throws Exception {
        StuckProducer producer = new StuckProducer();
        MetricsPublisher publisher = new MetricsPublisher(producer, "t", 4);
        publisher.offer(step(0));
        await().alias("sender thread is stuck inside send")
                .atMost(Duration.ofSeconds(5))
                .until(() -> producer.entered.getCount() == 0);

        long start = System.nanoTime();
        int accepted = 0;
        for (int i = 1; i <= 1000; i++) {
            if (publisher.offer(step(i))) {
                accepted++;
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(accepted).isEqualTo(4);
        assertThat(publisher.droppedCount()).isEqualTo(996);
        assertThat(took).isLessThan(Duration.ofSeconds(1));

        producer.release.countDown();
        assertThat(publisher.flush(Duration.ofSeconds(5))).isTrue();
        assertThat(publisher.sentCount()).isEqualTo(5);
        publisher.close();
        assertThat(publisher.failedCount()).isZero();
    }

    @Test
    void shouldCountSendErrorsAsFailed() {
        MockProducer<String, byte[]> producer =
                new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
        try (MetricsPublisher publisher = new MetricsPublisher(producer, "t", 16)) {
            publisher.offer(step(0));
            publisher.offer(step(1));
            await().alias("both events reached the producer")
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> producer.history().size() == 2);

            producer.completeNext();
            producer.errorNext(new org.apache.kafka.common.errors.TimeoutException("broker gone"));

            assertThat(publisher.flush(Duration.ofSeconds(5))).isTrue();
            assertThat(publisher.sentCount()).isEqualTo(1);
            assertThat(publisher.failedCount()).isEqualTo(1);
        }
    }

    @Test
    void shouldGiveUpOnCloseAfterTheTimeoutAndCountWhatWasNotDelivered() {
        StuckProducer producer = new StuckProducer();
        MetricsPublisher publisher = new MetricsPublisher(producer, "t", 8);
        for (int i = 0; i < 4; i++) {
            publisher.offer(step(i));
        }

        long start = System.nanoTime();
        publisher.close(Duration.ofMillis(300));

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(publisher.sentCount() + publisher.failedCount()).isEqualTo(4);
        assertThat(publisher.failedCount()).isPositive();
        assertThat(publisher.offer(step(9))).isFalse();
        assertThat(publisher.droppedCount()).isEqualTo(1);
    }

    @Test
    void shouldUseAnIdempotentProducerAndLetKafkaSettingsThrough() {
        Properties p =
                MetricsPublisher.producerConfig("host:9092", Map.of("security.protocol", "SSL", "linger.ms", "20"));

        assertThat(p)
                .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")
                .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
                .containsEntry(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "host:9092")
                .containsEntry("security.protocol", "SSL")
                .containsEntry("linger.ms", "20");
    }
}
