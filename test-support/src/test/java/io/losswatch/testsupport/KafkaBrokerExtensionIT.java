package io.losswatch.testsupport;

import static io.losswatch.testsupport.TestClients.consume;
import static io.losswatch.testsupport.TestClients.produce;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension as other modules use it; with LOSSWATCH_TEST_BROKER=testcontainers it runs against a container. */
class KafkaBrokerExtensionIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void shouldHandTheTestAWorkingBroker() {
        KAFKA.createTopic("training.alerts", 2);
        KAFKA.createTopic("training.alerts", 2);

        produce(KAFKA.bootstrapServers(), "training.alerts", List.of("alert-1", "alert-2"));

        assertThat(consume(KAFKA.bootstrapServers(), "training.alerts", 2, "read_committed"))
                .containsExactly("alert-1", "alert-2");
    }

    @Test
    void shouldSupportTheExactlyOnceLoopKafkaStreamsRuns() {
        KAFKA.createTopic("eos.in", 1);
        KAFKA.createTopic("eos.out", 1);
        produce(KAFKA.bootstrapServers(), "eos.in", List.of("x", "y"));

        TestClients.copyUpperCaseExactlyOnce(KAFKA.bootstrapServers(), "eos.in", "eos.out", 2);

        assertThat(consume(KAFKA.bootstrapServers(), "eos.out", 2, "read_committed"))
                .containsExactly("X", "Y");
    }

    @Test
    void shouldExposeTheInProcessBrokerWhenNotOnTestcontainers() {
        if (KAFKA.broker() != null) {
            assertThat(KAFKA.bootstrapServers()).isEqualTo(KAFKA.broker().bootstrapServers());
            assertThat(KAFKA.broker().dataDir()).startsWith(KafkaBrokerExtension.testDataBase());
        }
    }

    @Nested
    class InANestedClass {

        @Test
        void shouldSeeTheSameBroker() {
            KAFKA.createTopic("nested", 1);
            produce(KAFKA.bootstrapServers(), "nested", List.of("n"));
            assertThat(consume(KAFKA.bootstrapServers(), "nested", 1, "read_committed"))
                    .containsExactly("n");
        }
    }
}
