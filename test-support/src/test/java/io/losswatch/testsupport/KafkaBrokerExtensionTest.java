package io.losswatch.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KafkaBrokerExtensionTest {

    @Test
    void shouldUseTheInProcessBrokerUnlessTestcontainersIsAskedFor() {
        assertThat(KafkaBrokerExtension.requestedBackend(null)).isEqualTo(KafkaBrokerExtension.Backend.EMBEDDED);
        assertThat(KafkaBrokerExtension.requestedBackend(" ")).isEqualTo(KafkaBrokerExtension.Backend.EMBEDDED);
        assertThat(KafkaBrokerExtension.requestedBackend("embedded")).isEqualTo(KafkaBrokerExtension.Backend.EMBEDDED);
        assertThat(KafkaBrokerExtension.requestedBackend("Testcontainers"))
                .isEqualTo(KafkaBrokerExtension.Backend.TESTCONTAINERS);
    }

    @Test
    void shouldNameTheAllowedValuesForAnUnknownBroker() {
        assertThatThrownBy(() -> KafkaBrokerExtension.requestedBackend("docker"))
                .hasMessageContaining("LOSSWATCH_TEST_BROKER=docker")
                .hasMessageContaining("'embedded'")
                .hasMessageContaining("'testcontainers'");
    }

    @Test
    void shouldRefuseToHandOutABrokerBeforeTheClassStarts() {
        assertThatThrownBy(() -> new KafkaBrokerExtension().bootstrapServers())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("static field");
    }

    @Test
    void shouldKeepTestBrokerDataUnderTargetWhenMavenRunsTheTests() {
        // surefire runs in the module directory, where target/ exists
        assertThat(KafkaBrokerExtension.testDataBase().toString()).endsWith("target/kafka-local-test");
    }
}
