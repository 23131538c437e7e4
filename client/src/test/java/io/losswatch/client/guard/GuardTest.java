package io.losswatch.client.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.client.AlertAction;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.Severity;
import io.losswatch.events.StepEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuardTest {

    /** A model whose weights are one number: the step it has trained up to. */
    private static final class Counter implements GuardedModel<Long> {
        long weights;
        double rate = 1.0;
        boolean finite = true;
        Path saved;

        @Override
        public Long snapshot() {
            return weights;
        }

        @Override
        public void restore(Long s) {
            weights = s;
        }

        @Override
        public boolean finite() {
            return finite;
        }

        @Override
        public double learningRate() {
            return rate;
        }

        @Override
        public void learningRate(double r) {
            rate = r;
        }

        @Override
        public void save(Long s, Path file) throws IOException {
            Files.writeString(file, Long.toString(s));
            saved = file;
        }
    }

    @TempDir
    Path dir;

    private final Counter model = new Counter();
    private final LinkedBlockingQueue<AlertEvent> alerts = new LinkedBlockingQueue<>();

    private Guard<Long> guard(AlertAction action) {
        GuardConfig c =
                GuardConfig.defaults("r", action).withCheckpointEvery(10).withCheckpointDir(dir);
        return new Guard<>(c, model, alerts, 0);
    }

    private static AlertEvent alert(long step, long onset, Severity severity, AlertStatus status) {
        return new AlertEvent(
                1,
                AlertEvent.alertId("r", AlertType.LOSS_BLOWUP, onset),
                "r",
                AlertType.LOSS_BLOWUP,
                status,
                severity,
                step,
                onset,
                Instant.EPOCH,
                Instant.EPOCH,
                null,
                null,
                new AlertEvent.Diagnosis(Cause.LEARNING_RATE_TOO_HIGH, 0.8, List.of(), "lower it"));
    }

    private static AlertEvent critical(long step, long onset) {
        return alert(step, onset, Severity.CRITICAL, AlertStatus.FIRING);
    }

    /** Trains steps {@code from} to {@code to} (inclusive); returns the first act. */
    private GuardAct train(Guard<Long> g, long from, long to) {
        for (long s = from; s <= to; s++) {
            model.weights = s + 1;
            GuardAct a = g.afterStep(s);
            if (a != null) {
                return a;
            }
        }
        return null;
    }

    @Test
    void shouldRollBackToTheNewestCheckpointFromBeforeTheOnsetWithATenfoldLowerRate() {
        Guard<Long> g = guard(AlertAction.ROLLBACK);
        train(g, 0, 44);
        alerts.add(critical(45, 33));
        model.weights = 46;

        GuardAct act = g.afterStep(45);

        assertThat(act.kind()).isEqualTo(GuardAct.Kind.ROLLBACK);
        assertThat(act.checkpointStep())
                .as("the weights entering step 30, before the onset at 33")
                .isEqualTo(30);
        assertThat(model.weights).isEqualTo(30);
        assertThat(model.rate).isEqualTo(0.1);
        assertThat(act.skipBatches()).isZero();
        assertThat(g.annotate(StepEvent.of("r", 46, 1.0)).resumedFrom()).isEqualTo(30L);
        assertThat(g.annotate(StepEvent.of("r", 47, 1.0)).resumedFrom())
                .as("only the first step after")
                .isNull();
        assertThat(g.stopped()).isFalse();
    }

    @Test
    void shouldGoBackToTheWeightsFromBeforeAnyTrainingWhenTheRunBlowsUpAtItsFirstSteps() {
        Guard<Long> g = guard(AlertAction.ROLLBACK);
        train(g, 0, 4);
        alerts.add(critical(5, 1));
        model.weights = 6;

        GuardAct act = g.afterStep(5);

        assertThat(act.checkpointStep()).isZero();
        assertThat(model.weights).isZero();
    }

    @Test
    void shouldIgnoreWarningsResolvesAndAlertsAboutATrajectoryAlreadyRolledBack() {
        Guard<Long> g = guard(AlertAction.ROLLBACK);
        train(g, 0, 44);
        alerts.add(alert(45, 33, Severity.WARNING, AlertStatus.FIRING));
        alerts.add(alert(45, 33, Severity.CRITICAL, AlertStatus.RESOLVED));
        assertThat(g.afterStep(45)).isNull();

        alerts.add(critical(46, 33));
        assertThat(g.afterStep(46).kind()).isEqualTo(GuardAct.Kind.ROLLBACK);
        // the same divergence seen by another rule, late: its onset is before the rollback
        alerts.add(critical(47, 40));
        assertThat(train(g, 47, 60)).isNull();
        assertThat(g.rollbacks()).isEqualTo(1);
        // a new divergence of the resumed run is acted on
        alerts.add(critical(62, 58));
        GuardAct second = train(g, 61, 62);
        assertThat(second.kind()).isEqualTo(GuardAct.Kind.ROLLBACK);
        assertThat(second.checkpointStep()).isEqualTo(50);
        assertThat(model.rate).isEqualTo(0.1 * 0.1, org.assertj.core.api.Assertions.within(1e-12));
    }

    @Test
    void shouldStopAsAFailedRecoveryOnceTheBudgetOfRollbacksIsSpent() {
        Guard<Long> g = new Guard<>(
                GuardConfig.defaults("r", AlertAction.ROLLBACK)
                        .withCheckpointEvery(5)
                        .withMaxRollbacks(2)
                        .withCheckpointDir(dir),
                model,
                alerts,
                0);
        long step = 0;
        for (int i = 0; i < 3; i++) {
            train(g, step, step + 9);
            step += 10;
            alerts.add(critical(step, step - 3));
            model.weights = step + 1;
            GuardAct a = g.afterStep(step);
            step++;
            assertThat(a.kind()).isEqualTo(i < 2 ? GuardAct.Kind.ROLLBACK : GuardAct.Kind.STOP);
        }
        assertThat(g.stopped()).isTrue();
        assertThat(g.recoveryFailed()).isTrue();
        assertThat(g.outcome()).isEqualTo("recovery failed after 2 rollbacks");
        assertThat(g.afterStep(step)).as("nothing after a stop").isNull();
    }

    @Test
    void shouldStopWithTheWeightsFromBeforeTheOnsetNotTheRuinedOnes() throws Exception {
        Guard<Long> g = guard(AlertAction.STOP);
        train(g, 0, 24);
        alerts.add(critical(25, 22));
        model.weights = 26;

        GuardAct act = g.afterStep(25);

        assertThat(act.kind()).isEqualTo(GuardAct.Kind.STOP);
        assertThat(act.recoveryFailed()).isFalse();
        assertThat(model.weights).isEqualTo(20);
        assertThat(Files.readString(model.saved)).isEqualTo("20");
        assertThat(act.message()).contains("before the divergence");
        assertThat(g.outcome()).isEqualTo("stopped on a divergence");
    }

    @Test
    void shouldTellTheLoopToSkipTheBatchesBetweenTheCheckpointAndTheAlert() {
        Guard<Long> g = guard(AlertAction.SKIP);
        train(g, 0, 44);
        alerts.add(critical(45, 33));
        model.weights = 46;

        GuardAct act = g.afterStep(45);

        assertThat(act.kind()).isEqualTo(GuardAct.Kind.SKIP);
        assertThat(act.checkpointStep()).isEqualTo(30);
        assertThat(act.skipBatches()).as("the batches of steps 30 to 45").isEqualTo(16);
        assertThat(model.rate).isEqualTo(0.1);
    }

    @Test
    void shouldNotKeepCheckpointsOfWeightsThatAreNoLongerFinite() {
        Guard<Long> g = guard(AlertAction.ROLLBACK);
        train(g, 0, 18);
        model.finite = false;
        train(g, 19, 24); // the checkpoint entering step 20 is not taken
        alerts.add(critical(25, 24));
        assertThat(g.afterStep(25).checkpointStep()).isEqualTo(10);
    }

    @Test
    void shouldOnlyReportWhenIgnoring() {
        Guard<Long> g = guard(AlertAction.IGNORE);
        train(g, 0, 20);
        alerts.add(critical(21, 10));
        assertThat(g.afterStep(21)).isNull();
        assertThat(g.outcome()).isEqualTo("completed");
    }
}
