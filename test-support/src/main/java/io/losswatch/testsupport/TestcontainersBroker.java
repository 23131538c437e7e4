package io.losswatch.testsupport;

import io.losswatch.kafka.local.EmbeddedKafka;
import io.losswatch.kafka.local.RunningBroker;
import io.losswatch.kafka.local.Topics;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The Testcontainers side of {@link KafkaBrokerExtension}: Kafka in a Docker container.
 * Only loaded after the extension has seen Testcontainers on the classpath, so that the
 * extension works without it.
 */
final class TestcontainersBroker implements RunningBroker {

    private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(60);

    private final KafkaContainer container;
    private final Admin admin;

    private TestcontainersBroker(KafkaContainer container) {
        this.container = container;
        this.admin = Admin.create(Map.of("bootstrap.servers", container.getBootstrapServers()));
    }

    static boolean dockerAvailable() {
        return DockerClientFactory.instance().isDockerAvailable();
    }

    static RunningBroker start(String image) {
        KafkaContainer container =
                new KafkaContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("apache/kafka"));
        container.start();
        return new TestcontainersBroker(container);
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public void createTopics(Map<String, Integer> partitionsByTopic) {
        Topics.create(admin, partitionsByTopic, TOPIC_TIMEOUT);
    }

    @Override
    public EmbeddedKafka embedded() {
        return null;
    }

    @Override
    public void close() {
        try {
            admin.close(Duration.ofSeconds(5));
        } finally {
            container.stop();
        }
    }
}
