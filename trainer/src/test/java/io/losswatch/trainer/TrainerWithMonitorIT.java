package io.losswatch.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.client.AlertAction;
import io.losswatch.client.AlertFollower;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.monitor.MonitorApp;
import io.losswatch.monitor.MonitorConfig;
import io.losswatch.testsupport.Committed;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Scenarios and {@code --on-alert} against the real broker and the real monitor, in-process. */
class TrainerWithMonitorIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    static MonitorApp monitor;

    @BeforeAll
    static void startMonitor() throws Exception {
        monitor = MonitorApp.start(
                MonitorConfig.defaults(KAFKA.bootstrapServers())
                        .withStateDir(Path.of("target", "streams-" + UUID.randomUUID())),
                MonitorApp.Options.defaults().withHttp("127.0.0.1", 0));
        await().alias("monitor running").atMost(Duration.ofSeconds(60)).until(monitor::isRunning);
    }

    @AfterAll
    static void stopMonitor() {
        if (monitor != null) {
            monitor.close();
        }
    }

    private static TrainConfig scenario(Scenario s, String runId) {
        return s.apply(TrainConfig.defaults(runId)
                .withKafka(KAFKA.bootstrapServers(), Topics.METRICS, Map.of("linger.ms", "1")));
    }

    @Test
    void shouldAlertOnTheExponentialLearningRateScenarioWithItsCauseAndNotOnItsHealthyCounterpart() throws Exception {
        Trainer diverging = new Trainer(scenario(Scenario.LR_EXPONENTIAL_LINEAR, "it-lr-exponential")).console(l -> {});
        Trainer healthy = new Trainer(scenario(Scenario.LR_LINEAR_HEALTHY, "it-lr-linear-healthy")).console(l -> {});
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<TrainResult> d = pool.submit(diverging::run);
            Future<TrainResult> h = pool.submit(healthy::run);
            assertThat(d.get().steps()).isEqualTo(200);
            assertThat(h.get().steps()).isEqualTo(200);
        } finally {
            pool.shutdownNow();
        }

        List<AlertEvent> alerts = Committed.awaitAlert(
                KAFKA.bootstrapServers(),
                "it-lr-exponential",
                a -> a.status() == AlertStatus.FIRING,
                Duration.ofSeconds(60));
        AlertEvent first = alerts.get(0);
        assertThat(first.type().name()).isIn("LOSS_EXPONENTIAL_GROWTH", "GRADIENT_EXPLOSION");
        assertThat(first.diagnosis().cause()).isEqualTo(Cause.LEARNING_RATE_TOO_HIGH);
        assertThat(first.onsetStep()).isLessThan(30);

        // Both runs had finished before the diverging run's alert was read; the monitor gets 3 s more for the healthy
        // one.
        List<AlertEvent> healthyAlerts =
                Committed.alertsDuring(KAFKA.bootstrapServers(), "it-lr-linear-healthy", Duration.ofSeconds(3));
        assertThat(healthyAlerts).isEmpty();
    }

    /** Trains a diverging scenario and its healthy counterpart side by side; returns the diverging run's first firing alert. */
    private static AlertEvent runPair(Scenario diverging, Scenario healthy) throws Exception {
        String d = "it-" + diverging.label();
        String h = "it-" + healthy.label();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<TrainResult> df = pool.submit(new Trainer(scenario(diverging, d)).console(l -> {})::run);
            Future<TrainResult> hf = pool.submit(new Trainer(scenario(healthy, h)).console(l -> {})::run);
            df.get();
            assertThat(hf.get().nonFinite()).isFalse();
        } finally {
            pool.shutdownNow();
        }
        AlertEvent first = Committed.awaitAlert(
                        KAFKA.bootstrapServers(), d, a -> a.status() == AlertStatus.FIRING, Duration.ofSeconds(60))
                .stream()
                .filter(a -> a.status() == AlertStatus.FIRING)
                .findFirst()
                .orElseThrow();
        assertThat(Committed.alertsDuring(KAFKA.bootstrapServers(), h, Duration.ofSeconds(3)))
                .as(h)
                .isEmpty();
        return first;
    }

    @Test
    void shouldAlertOnPlainSgdThatBlowsUpAndNotOnAdamInTheOptimizerScenarios() throws Exception {
        // the scenarios' own 100 steps: fewer load fewer examples, a different batch order and another curve
        AlertEvent first = runPair(Scenario.OPTIMIZER_SGD, Scenario.OPTIMIZER_ADAM);

        // blow-up, growth or NaN (the detectors are being extended); the monitor blames the step size
        assertThat(first.type().name())
                .isIn(
                        "LOSS_BLOWUP",
                        "LOSS_EXPONENTIAL_GROWTH",
                        "GRADIENT_EXPLOSION",
                        "LOSS_NON_FINITE",
                        "TRAINING_COLLAPSED");
        assertThat(first.diagnosis().cause()).isIn(Cause.LEARNING_RATE_TOO_HIGH, Cause.UNSTABLE_OPTIMIZER);
    }

    @Test
    void shouldRaiseValidationDivergenceForLackOfRegularizationOnOverfitAndNothingWithL2AndDropout() throws Exception {
        // the scenarios as they are (400 LeNet steps, validation every 10): the climb starts near step 120 and is
        // slow, so the alert comes near step 280; a few minutes of training on two cores
        AlertEvent first = runPair(Scenario.OVERFIT, Scenario.OVERFIT_REGULARIZED);

        assertThat(first.type()).isEqualTo(AlertType.VALIDATION_DIVERGENCE);
        assertThat(first.diagnosis().cause()).isEqualTo(Cause.INSUFFICIENT_REGULARIZATION);
        assertThat(first.onsetStep()).as("the validation minimum").isBetween(60L, 200L);
    }

    @Test
    void shouldRollBackOnTheMonitorsAlertAndTrainTheLossBackDown() throws Exception {
        TrainConfig config =
                scenario(Scenario.LR_EXPONENTIAL_LINEAR, "it-rollback").withSteps(400);
        List<StepEvent> events = new CopyOnWriteArrayList<>();
        List<String> console = new CopyOnWriteArrayList<>();
        TrainResult result;
        Trainer trainer;
        try (AlertFollower follower =
                new AlertFollower(KAFKA.bootstrapServers(), Topics.ALERTS, Map.of(), "it-rollback")) {
            trainer = new Trainer(config)
                    .pace(Duration.ofMillis(20))
                    .console(console::add)
                    .onStep(events::add)
                    .onAlert(AlertAction.ROLLBACK, follower.queue());
            result = trainer.run();
        }

        assertThat(result.stopReason()).as(String.join("\n", console)).startsWith("recovered after");
        assertThat(result.ending()).isEqualTo(TrainResult.Ending.RECOVERED);
        assertThat(trainer.rollbacks()).as(String.join("\n", console)).isNotEmpty();
        Trainer.Rollback r = trainer.rollbacks().get(0);
        assertThat(r.newLearningRate()).isEqualTo(0.01, org.assertj.core.data.Offset.offset(1e-9));
        double beforeRollback = events.get((int) r.atStep() - 1).loss();
        double end = events.get(events.size() - 1).loss();
        assertThat(beforeRollback)
                .as("the loss had grown when the alert came")
                .isGreaterThan(events.get(0).loss());
        assertThat(end)
                .as("after the rollback the loss comes back down")
                .isLessThan(beforeRollback)
                .isLessThan(events.get(0).loss());
    }
}
