package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.Topics;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import io.losswatch.trainer.LeNet;
import io.losswatch.trainer.TrainConfig;
import io.losswatch.trainer.TrainResult;
import io.losswatch.trainer.Trainer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The classic case, with real DL4J training: a LeNet CNN with Adam at lr 1.0 does not grow
 * exponentially; its loss jumps to ~20 at the first step and never comes back (it ends at chance
 * level). The monitor must still alert, and name the learning rate.
 */
class AdamLrOneIT {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void shouldAlertOnTheBlowUpOfAdamAtLearningRateOneAndBlameTheLearningRate() throws Exception {
        MonitorConfig config = MonitorConfig.defaults(KAFKA.bootstrapServers())
                .withStateDir(Path.of("target", "streams-" + UUID.randomUUID()));
        try (MonitorApp monitor =
                MonitorApp.start(config, MonitorApp.Options.defaults().withHttp("127.0.0.1", -1))) {
            await().alias("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);

            TrainResult result = new Trainer(TrainConfig.defaults("adam-lr1")
                            .withOptimizer(LeNet.Optimizer.ADAM, 1.0)
                            .withSteps(40)
                            .withKafka(KAFKA.bootstrapServers(), Topics.METRICS, Map.of()))
                    .console(line -> {})
                    .run();
            assertThat(result.steps()).isEqualTo(40);
            assertThat(result.sent()).isEqualTo(40);

            List<AlertEvent> alerts = Committed.awaitAlert(
                    KAFKA.bootstrapServers(),
                    "adam-lr1",
                    a -> a.type() == AlertType.LOSS_BLOWUP,
                    Duration.ofSeconds(60));
            AlertEvent blowup = alerts.stream()
                    .filter(a -> a.type() == AlertType.LOSS_BLOWUP)
                    .findFirst()
                    .orElseThrow();
            assertThat(blowup.runId()).isEqualTo("adam-lr1");
            assertThat(blowup.status()).isEqualTo(AlertStatus.FIRING);
            assertThat(blowup.step())
                    .as("alerted within 15 steps of the jump at step 1")
                    .isLessThanOrEqualTo(16);
            assertThat(blowup.diagnosis().cause()).isEqualTo(Cause.LEARNING_RATE_TOO_HIGH);
            assertThat(blowup.diagnosis().suggestion()).contains("1e-3");
            assertThat(blowup.diagnosis().evidence()).isNotEmpty();
        }
    }
}
