package io.losswatch.events;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka serde for {@link AlertEvent}: null in, null out. */
public final class AlertEventSerde implements Serde<AlertEvent> {

    @Override
    public Serializer<AlertEvent> serializer() {
        return (topic, alert) -> alert == null ? null : EventJson.writeAlert(alert);
    }

    @Override
    public Deserializer<AlertEvent> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return EventJson.parseAlert(bytes);
            } catch (InvalidEventException e) {
                throw new SerializationException(e.getMessage(), e);
            }
        };
    }
}
