package io.losswatch.kafka.local;

import java.util.Map;

/** A broker that the test-support module's {@code KafkaBrokerExtension} started for one test class. */
public interface RunningBroker extends AutoCloseable {

    String bootstrapServers();

    void createTopics(Map<String, Integer> partitionsByTopic);

    /** The in-process broker, or null when the broker runs elsewhere (a container). */
    EmbeddedKafka embedded();

    @Override
    void close();

    static RunningBroker of(EmbeddedKafka kafka, Runnable afterClose) {
        return new RunningBroker() {
            @Override
            public String bootstrapServers() {
                return kafka.bootstrapServers();
            }

            @Override
            public void createTopics(Map<String, Integer> partitionsByTopic) {
                kafka.createTopics(partitionsByTopic);
            }

            @Override
            public EmbeddedKafka embedded() {
                return kafka;
            }

            @Override
            public void close() {
                try {
                    kafka.close();
                } finally {
                    afterClose.run();
                }
            }
        };
    }
}
