package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.monitor.MonitorConfig;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class MonitorConfigTest {
    private static Properties props(Map<String, String> kafka) {
        return MonitorConfig.defaults("broker:9092").withKafka(kafka).streamsProperties();
    }

    @Test
    void shouldBatchTheChangelogWritesOfACommitByDefault() {
        assertThat(props(Map.of())).containsEntry("producer.batch.size", 256 * 1024);
    }

    @Test
    void shouldLeaveTheBatchSizeToTheUserWithOrWithoutTheProducerPrefix() {
        Properties plain = props(Map.of("batch.size", "16384"));
        assertThat(plain).containsEntry("batch.size", "16384").doesNotContainKey("producer.batch.size");
        assertThat(props(Map.of("producer.batch.size", "65536"))).containsEntry("producer.batch.size", "65536");
    }
}
