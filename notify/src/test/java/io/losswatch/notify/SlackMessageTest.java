package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertType;
import io.losswatch.events.RestartReason;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlackMessageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T = Instant.parse("2026-11-27T05:00:00.123Z");

    @Test
    void shouldSayWhichRunWhatSinceWhenWhyAndWhatToDo() throws Exception {
        AlertEvent a = TestAlerts.firing("fmnist-sgd", AlertType.LOSS_EXPONENTIAL_GROWTH, 37, T);
        JsonNode m = JSON.readTree(SlackMessage.of(Incident.firing(a), null));
        assertThat(m.get("text").asText())
                .isEqualTo("[critical] run fmnist-sgd: the loss is growing exponentially since step 37");
        String all = m.get("blocks").toString();
        assertThat(all)
                .contains(":rotating_light: *Run `fmnist-sgd`: the loss is growing exponentially* since "
                        + "step 37 (noticed at step 52).")
                .contains("Doubling every 8.6 steps, overflow in ~1011 steps.")
                .contains("*Likely cause*\\nThe learning rate is too high (60% sure)")
                .contains("*Alert*\\nExponential growth")
                .doesNotContain("LEARNING_RATE_TOO_HIGH")
                .doesNotContain("LOSS_EXPONENTIAL_GROWTH")
                .doesNotContain("R^2")
                .contains("*What to do:* Lower the learning rate about 10x")
                .contains("update_ratio 0.41 &gt; 0.1")
                .doesNotContain("Grafana");
    }

    @Test
    void shouldAddAButtonToTheRunsDashboard() throws Exception {
        AlertEvent a = TestAlerts.firing("run/1", AlertType.LOSS_NON_FINITE, 3, T);
        JsonNode m = JSON.readTree(SlackMessage.of(Incident.firing(a), URI.create("https://g.example.com/d/lw/run")));
        JsonNode actions = m.get("blocks").get(m.get("blocks").size() - 1);
        assertThat(actions.get("type").asText()).isEqualTo("actions");
        assertThat(actions.get("elements").get(0).get("url").asText())
                .startsWith("https://g.example.com/d/lw/run?var-run_id=run%2F1&from=");
    }

    @Test
    void shouldSayWhatClearedWhenResolved() throws Exception {
        AlertEvent a = TestAlerts.firing("fmnist-sgd", AlertType.LOSS_EXPONENTIAL_GROWTH, 37, T);
        FiringIndex index = new FiringIndex();
        index.remember(a);
        AlertEvent resolved = TestAlerts.resolved(a, 140, T);
        index.remember(resolved);
        JsonNode m = JSON.readTree(SlackMessage.of(Incident.of(resolved, index), null));
        assertThat(m.get("text").asText())
                .isEqualTo("Resolved: run fmnist-sgd: the loss is growing exponentially "
                        + "(since step 37) has cleared by step 140");
    }

    @Test
    void shouldSendOneFullMessagePerIncidentAndOneLinePerFollowUp() throws Exception {
        AlertEvent blowup = TestAlerts.firing("adam-lr1", AlertType.LOSS_BLOWUP, 1, T);
        AlertEvent gradients = TestAlerts.firing("adam-lr1", AlertType.GRADIENT_EXPLOSION, 1, T);
        FiringIndex index = new FiringIndex();
        index.remember(blowup);
        index.remember(gradients);

        Incident first = Incident.of(blowup, index);
        Incident second = Incident.of(gradients, index);
        JsonNode followUp = JSON.readTree(SlackMessage.of(second, null));

        assertThat(first.opensIncident()).isTrue();
        assertThat(second.opensIncident()).isFalse();
        assertThat(second.incidentId()).isEqualTo(blowup.alertId());
        assertThat(followUp.get("text").asText())
                .startsWith("[critical] run adam-lr1, same incident: also the gradients are exploding at step 16")
                .contains("What to do: Lower the learning rate")
                .doesNotContain("\n");
        assertThat(followUp.get("blocks")).hasSize(1);
    }

    @Test
    void shouldCloseTheIncidentOnlyWhenAllItsAlertsHaveResolved() {
        AlertEvent blowup = TestAlerts.firing("adam-lr1", AlertType.LOSS_BLOWUP, 1, T);
        AlertEvent gradients = TestAlerts.firing("adam-lr1", AlertType.GRADIENT_EXPLOSION, 1, T);
        AlertEvent blowupCleared = TestAlerts.resolved(blowup, 80, T);
        AlertEvent gradientsCleared = TestAlerts.resolved(gradients, 90, T);
        AlertEvent again = TestAlerts.firing("adam-lr1", AlertType.LOSS_BLOWUP, 120, T);
        FiringIndex index = new FiringIndex();
        for (AlertEvent a : java.util.List.of(blowup, gradients, blowupCleared, gradientsCleared, again)) {
            index.remember(a);
        }
        // seen again (a redelivery, or a second target behind the first): nothing changes
        index.remember(blowup);

        assertThat(Incident.of(blowupCleared, index).closesIncident()).isFalse();
        assertThat(Incident.of(gradientsCleared, index).closesIncident()).isTrue();
        assertThat(Incident.of(blowup, index).opensIncident()).isTrue();
        assertThat(Incident.of(again, index).opensIncident())
                .as("a new incident")
                .isTrue();
        assertThat(Incident.of(again, index).incidentId()).isEqualTo(again.alertId());
    }

    @Test
    void shouldCloseTheIncidentOnARollbackAndOpenANewOneWhenTheResumedRunDiverges() throws Exception {
        AlertEvent blowup = TestAlerts.firing("adam-lr1", AlertType.LOSS_BLOWUP, 1, T);
        AlertEvent gradients = TestAlerts.firing("adam-lr1", AlertType.GRADIENT_EXPLOSION, 1, T);
        String reason = RestartReason.rolledBack(0, 17);
        AlertEvent gradientsRolledBack = TestAlerts.restarted(gradients, 17, T, reason);
        AlertEvent blowupRolledBack = TestAlerts.restarted(blowup, 17, T, reason);
        // the resumed run counts its steps from the checkpoint again, so its alert has the same onset
        AlertEvent again = TestAlerts.inAttempt(TestAlerts.firing("adam-lr1", AlertType.LOSS_BLOWUP, 1, T), 1);
        FiringIndex index = new FiringIndex();
        for (AlertEvent a : List.of(blowup, gradients, gradientsRolledBack, blowupRolledBack, again)) {
            index.remember(a);
        }

        JsonNode first = JSON.readTree(SlackMessage.of(Incident.of(gradientsRolledBack, index), null));
        JsonNode last = JSON.readTree(SlackMessage.of(Incident.of(blowupRolledBack, index), null));
        Incident next = Incident.of(again, index);

        assertThat(first.get("text").asText())
                .isEqualTo(
                        "Run adam-lr1: the gradients are exploding (since step 1) closed by the rollback at step 17");
        assertThat(last.get("text").asText())
                .isEqualTo("Run adam-lr1: the run rolled back to the checkpoint of step 0 at step 17; this closes the "
                        + "incident (" + AlertWording.what(blowup) + ", since step 1). If it diverges again, that is "
                        + "a new incident.");
        assertThat(first.toString() + last).doesNotContain("cleared").doesNotContain("still fire");
        assertThat(next.opensIncident())
                .as("the resumed run's alert opens an incident")
                .isTrue();
        assertThat(next.incidentId()).isEqualTo(again.alertId()).isNotEqualTo(blowup.alertId());
        assertThat(JSON.readTree(SlackMessage.of(next, null)).get("text").asText())
                .startsWith("[critical] run adam-lr1: " + AlertWording.what(again) + " since step 1");
    }

    @Test
    void shouldSayARunStartedOverRatherThanThatItsAlertCleared() throws Exception {
        AlertEvent growth = TestAlerts.firing("job-7", AlertType.LOSS_EXPONENTIAL_GROWTH, 37, T);
        AlertEvent closed = TestAlerts.restarted(growth, 0, T, RestartReason.startedOver(0));
        FiringIndex index = new FiringIndex();
        index.remember(growth);
        index.remember(closed);

        String all =
                JSON.readTree(SlackMessage.of(Incident.of(closed, index), null)).toString();

        assertThat(all)
                .contains(":repeat: *Run `job-7`:* the run started over at step 0 (a new attempt). This closes the "
                        + "incident (the loss is growing exponentially, since step 37)")
                .doesNotContain("cleared");
    }

    @Test
    void shouldQuoteAFitOnlyWhenItDescribesTheLoss() throws Exception {
        AlertEvent a = TestAlerts.firing("r", AlertType.LOSS_EXPONENTIAL_GROWTH, 37, T);
        AlertEvent poor = new AlertEvent(
                a.schema(),
                a.alertId(),
                a.runId(),
                a.type(),
                a.status(),
                a.severity(),
                a.step(),
                a.onsetStep(),
                a.time(),
                a.detectedAt(),
                new AlertEvent.Fit(16, 0.081, 8.557, 0.11),
                null,
                a.diagnosis());

        String all = JSON.readTree(SlackMessage.of(Incident.firing(poor), null)).toString();

        assertThat(all).doesNotContain("Doubling every").doesNotContain("*Fit*");
    }

    @Test
    void shouldSayHowFarALossJumped() {
        AlertEvent a = TestAlerts.firing("r", AlertType.LOSS_BLOWUP, 1, T);
        AlertEvent jumped = withEvidence(a, "loss jumped 17x above its level 2.30 at step 0 and stayed above 9.1");

        assertThat(AlertWording.what(jumped))
                .isEqualTo("the loss jumped 17x above its recent level")
                .doesNotContain("orders of magnitude");
        // a level that moved over several steps rose, it did not jump
        AlertEvent rose = withEvidence(a, "loss rose 4x above its level 0.800 from step 158 and stayed above 1.70");
        assertThat(AlertWording.what(rose)).isEqualTo("the loss rose 4x above its recent level");
        // a loss below zero that falls on and on did not jump above anything
        AlertEvent fell = withEvidence(
                a,
                "loss -74.0 at step 8, below zero since step 0 and 1136x the size of the first losses (at most 1.01): it falls "
                        + "without a lower bound");
        assertThat(AlertWording.what(fell)).isEqualTo("the loss fell below zero without a lower bound");
    }

    private static AlertEvent withEvidence(AlertEvent a, String evidence) {
        return new AlertEvent(
                a.schema(),
                a.alertId(),
                a.runId(),
                a.type(),
                a.status(),
                a.severity(),
                a.step(),
                a.onsetStep(),
                a.time(),
                a.detectedAt(),
                null,
                null,
                new AlertEvent.Diagnosis(
                        a.diagnosis().cause(), 0.8, java.util.List.of(evidence), "Lower the learning rate."));
    }

    @Test
    void shouldWriteALargeRatioInWordsNotDigits() {
        assertThat(AlertWording.plain("grad_norm 2.91e+07 is 20587691x its early level 1.41"))
                .isEqualTo("grad_norm 2.91e+07 is 20.6 million times its early level 1.41");
        assertThat(AlertWording.plain("grad_norm jumped 52000x at step 1 and stayed up"))
                .isEqualTo("grad_norm jumped 52 thousand times at step 1 and stayed up");
        assertThat(AlertWording.plain("grad_norm jumped 6352x at step 5"))
                .isEqualTo("grad_norm jumped 6352x at step 5");
        assertThat(AlertWording.plain("loss doubled every 8.6 steps (R^2 0.97)"))
                .isEqualTo("loss doubled every 8.6 steps (R² 0.97)");
    }

    @Test
    void shouldEscapeWhatSlackWouldReadAsMarkup() {
        assertThat(SlackMessage.esc("a < b && c > d")).isEqualTo("a &lt; b &amp;&amp; c &gt; d");
    }
}
