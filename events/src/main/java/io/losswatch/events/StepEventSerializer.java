package io.losswatch.events;

import org.apache.kafka.common.serialization.Serializer;

/** Kafka serializer for {@link StepEvent}, for trainers written in Java. */
public final class StepEventSerializer implements Serializer<StepEvent> {
    @Override
    public byte[] serialize(String topic, StepEvent event) {
        return event == null ? null : EventJson.writeStep(event);
    }
}
