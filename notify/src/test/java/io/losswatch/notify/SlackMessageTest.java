package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertType;
import java.net.URI;
import java.time.Instant;
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
        AlertEvent jumped = new AlertEvent(
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
                        a.diagnosis().cause(),
                        0.8,
                        java.util.List.of("loss jumped 17x above its level 2.30 at step 0 and stayed above 9.1"),
                        "Lower the learning rate."));

        assertThat(AlertWording.what(jumped))
                .isEqualTo("the loss jumped 17x above its recent level")
                .doesNotContain("orders of magnitude");
    }

    @Test
    void shouldEscapeWhatSlackWouldReadAsMarkup() {
        assertThat(SlackMessage.esc("a < b && c > d")).isEqualTo("a &lt; b &amp;&amp; c &gt; d");
    }
}
