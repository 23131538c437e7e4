package io.losswatch.notify;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.EventJson;
import io.losswatch.events.Topics;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Writes alert events to the alerts topic as the monitor does (keyed by run id), for tests that need no monitor. */
final class AlertProducer implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;

    AlertProducer(String bootstrapServers) {
        producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    AlertEvent send(AlertEvent a) {
        try {
            producer.send(new ProducerRecord<>(Topics.ALERTS, a.runId().getBytes(UTF_8), EventJson.writeAlert(a)))
                    .get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        }
        return a;
    }

    @Override
    public void close() {
        producer.close();
    }
}
