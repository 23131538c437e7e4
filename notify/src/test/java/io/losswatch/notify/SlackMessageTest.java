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
                .contains("*Likely cause*\\nLEARNING_RATE_TOO_HIGH (60%)")
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
        JsonNode m = JSON.readTree(SlackMessage.of(Incident.of(TestAlerts.resolved(a, 140, T), index), null));
        assertThat(m.get("text").asText())
                .isEqualTo("Resolved: run fmnist-sgd: the loss is growing exponentially "
                        + "(since step 37) has cleared by step 140");
    }

    @Test
    void shouldEscapeWhatSlackWouldReadAsMarkup() {
        assertThat(SlackMessage.esc("a < b && c > d")).isEqualTo("a &lt; b &amp;&amp; c &gt; d");
    }
}
