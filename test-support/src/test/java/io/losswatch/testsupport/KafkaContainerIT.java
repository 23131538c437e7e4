package io.losswatch.testsupport;

import static io.losswatch.testsupport.TestClients.consume;
import static io.losswatch.testsupport.TestClients.produce;
import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.kafka.local.EmbeddedKafka;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The extension's container path; skipped where no Docker engine runs. */
@Testcontainers(disabledWithoutDocker = true)
class KafkaContainerIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA =
            new KafkaBrokerExtension(EmbeddedKafka.Config.defaults(), KafkaBrokerExtension.Backend.TESTCONTAINERS);

    @Test
    void shouldRunKafkaInAContainer() {
        assertThat(KAFKA.broker()).as("no in-process broker").isNull();
        KAFKA.createTopic("training.metrics", 3);
        KAFKA.createTopic("training.metrics", 3);

        produce(KAFKA.bootstrapServers(), "training.metrics", List.of("step-0"));

        assertThat(consume(KAFKA.bootstrapServers(), "training.metrics", 1, "read_committed"))
                .containsExactly("step-0");
    }
}
