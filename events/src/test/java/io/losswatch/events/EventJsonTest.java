package io.losswatch.events;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventJsonTest {

    private static StepEvent parse(String json) throws InvalidEventException {
        return EventJson.parseStep(json.getBytes(UTF_8));
    }

    @Test
    void shouldReadTheDesignDocumentExample() throws Exception {
        StepEvent e = parse("""
                {"schema": 1, "run_id": "fmnist-adam-lr1", "step": 42, "time": "2026-11-27T05:00:00.123Z",
                 "loss": 0.731, "grad_norm": 1.92, "layer_grad_norms": {"0_W": 0.3, "2_W": 1.7},
                 "learning_rate": 0.001, "param_norm": 12.3, "update_ratio": 0.0012,
                 "val_loss": 0.9, "epoch": 3, "labels": {"model": "lenet5", "optimizer": "adam"}}""");
        assertThat(e.runId()).isEqualTo("fmnist-adam-lr1");
        assertThat(e.step()).isEqualTo(42);
        assertThat(e.time()).isEqualTo(Instant.parse("2026-11-27T05:00:00.123Z"));
        assertThat(e.loss()).isEqualTo(0.731);
        assertThat(e.gradNorm()).isEqualTo(1.92);
        assertThat(e.layerGradNorms()).containsEntry("2_W", 1.7);
        assertThat(e.learningRate()).isEqualTo(0.001);
        assertThat(e.valLoss()).isEqualTo(0.9);
        assertThat(e.epoch()).isEqualTo(3);
        assertThat(e.labels()).containsEntry("optimizer", "adam");
    }

    @Test
    void shouldCarryTheStepARunResumedFromAfterARollbackThroughJson() throws Exception {
        StepEvent e = parse("{\"schema\":1,\"run_id\":\"r\",\"step\":61,\"loss\":0.5,\"resumed_from\":40}");
        assertThat(e.resumedFrom()).isEqualTo(40L);
        assertThat(EventJson.parseStep(EventJson.writeStep(e))).isEqualTo(e);
        assertThat(parse("{\"schema\":1,\"run_id\":\"r\",\"step\":61,\"loss\":0.5}")
                        .resumedFrom())
                .isNull();
        assertThat(new String(EventJson.writeStep(StepEvent.of("r", 3, 1.0)), UTF_8))
                .doesNotContain("resumed_from");
    }

    @Test
    void shouldRefuseAResumedFromAfterTheStepItselfInOneSentence() {
        assertThatThrownBy(() -> parse("{\"schema\":1,\"run_id\":\"r\",\"step\":5,\"loss\":1,\"resumed_from\":9}"))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("resumed_from 9 is after the step itself (5)");
        assertThatThrownBy(() -> parse("{\"schema\":1,\"run_id\":\"r\",\"step\":5,\"loss\":1,\"resumed_from\":-1}"))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("resumed_from -1 is out of range");
    }

    @Test
    void shouldAcceptBareAndQuotedNonFiniteNumbers() throws Exception {
        assertThat(parse("{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":NaN}")
                        .loss())
                .isNaN();
        assertThat(parse("{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":\"NaN\"}")
                        .loss())
                .isNaN();
        assertThat(parse("{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":Infinity}")
                        .loss())
                .isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(parse("{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":-Infinity}")
                        .loss())
                .isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(parse("{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":\"Infinity\",\"grad_norm\":\"-Infinity\"}")
                        .gradNorm())
                .isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @Test
    void shouldIgnoreUnknownFieldsAndAcceptIntegralFloats() throws Exception {
        StepEvent e = parse(
                "{\"schema\":1.0,\"run_id\":\"r\",\"step\":7.0,\"loss\":1,\"extra\":{\"a\":[1,2,{}]},\"epoch\":2.0}");
        assertThat(e.step()).isEqualTo(7);
        assertThat(e.epoch()).isEqualTo(2);
        assertThat(e.loss()).isEqualTo(1.0);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "not json at all|not_json",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":1|not_json",
                "[1,2,3]|not_an_object",
                "\"just a string\"|not_an_object",
                "{\"run_id\":\"r\",\"step\":1,\"loss\":1}|missing_field",
                "{\"schema\":1,\"step\":1,\"loss\":1}|missing_field",
                "{\"schema\":1,\"run_id\":\"r\",\"loss\":1}|missing_field",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":1}|missing_field",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":null}|missing_field",
                "{\"schema\":2,\"run_id\":\"r\",\"step\":1,\"loss\":1}|unsupported_schema",
                "{\"schema\":\"1\",\"run_id\":\"r\",\"step\":1,\"loss\":1}|wrong_type",
                "{\"schema\":1,\"run_id\":\"has space\",\"step\":1,\"loss\":1}|invalid_run_id",
                "{\"schema\":1,\"run_id\":\"\",\"step\":1,\"loss\":1}|invalid_run_id",
                "{\"schema\":1,\"run_id\":42,\"step\":1,\"loss\":1}|invalid_run_id",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":-1,\"loss\":1}|invalid_step",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":1.5,\"loss\":1}|invalid_step",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":99999999999999999999999,\"loss\":1}|invalid_step",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":\"3\",\"loss\":1}|invalid_step",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":\"high\"}|invalid_value",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":true}|wrong_type",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":1,\"grad_norm\":\"x\"}|wrong_type",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":1,\"time\":\"yesterday\"}|invalid_time",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":1,\"labels\":[1]}|wrong_type",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":1,\"loss\":2}|not_json",
                "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":1} {}|not_json",
            })
    void shouldRejectWithANamedReason(String json, String reason) {
        assertThatThrownBy(() -> parse(json))
                .isInstanceOf(InvalidEventException.class)
                .satisfies(e ->
                        assertThat(((InvalidEventException) e).reason().label()).isEqualTo(reason))
                .hasMessageNotContaining("Exception");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "\"step\":2|duplicate field 'step'",
                "\"extra\":1,\"extra\":{}|duplicate field 'extra'",
                "\"labels\":{\"model\":\"a\",\"model\":\"b\"}|duplicate field 'labels.model'",
                "\"labels\":{\"model\":null,\"model\":\"b\"}|duplicate field 'labels.model'",
                "\"layer_grad_norms\":{\"0_W\":1,\"0_W\":null}|duplicate field 'layer_grad_norms.0_W'",
            })
    void shouldRefuseAFieldGivenTwiceNamingIt(String more, String message) {
        assertThatThrownBy(() -> parse("{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":1," + more + "}"))
                .isInstanceOf(InvalidEventException.class)
                .hasMessage("not valid JSON: " + message)
                .satisfies(e ->
                        assertThat(((InvalidEventException) e).reason().label()).isEqualTo("not_json"));
    }

    @Test
    void shouldKeepLabelsThatDifferOnlyInCase() throws Exception {
        StepEvent e = parse(
                "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":1,\"labels\":{\"m\":\"a\",\"M\":\"b\",\"x\":null}}");
        assertThat(e.labels()).containsExactly(Map.entry("m", "a"), Map.entry("M", "b"));
    }

    @Test
    void shouldRejectEmptyOversizedAndDeeplyNestedRecords() {
        assertThatThrownBy(() -> EventJson.parseStep(new byte[0])).hasMessageContaining("empty");
        byte[] huge = ("{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":1,\"pad\":\"" + "x".repeat(1 << 20) + "\"}")
                .getBytes(UTF_8);
        assertThatThrownBy(() -> EventJson.parseStep(huge))
                .satisfies(e ->
                        assertThat(((InvalidEventException) e).reason().label()).isEqualTo("too_large"));
        String deep = "{\"schema\":1,\"run_id\":\"r\",\"step\":1,\"loss\":1,\"x\":" + "[".repeat(5000)
                + "]".repeat(5000) + "}";
        assertThatThrownBy(() -> parse(deep))
                .satisfies(e ->
                        assertThat(((InvalidEventException) e).reason().label()).isEqualTo("not_json"));
        byte[] badUtf8 = {'{', '"', 's', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThatThrownBy(() -> EventJson.parseStep(badUtf8))
                .satisfies(e ->
                        assertThat(((InvalidEventException) e).reason().label()).isEqualTo("not_json"));
    }

    @Test
    void shouldRoundTripAStepEventWithNonFiniteValuesAsStrings() throws Exception {
        StepEvent e = new StepEvent(
                1,
                "run-1",
                5,
                Instant.parse("2026-11-27T05:00:00Z"),
                Double.NaN,
                1.5,
                Map.of("0_W", Double.POSITIVE_INFINITY),
                0.1,
                3.0,
                0.01,
                2.0,
                1,
                Map.of("optimizer", "sgd"));
        byte[] json = EventJson.writeStep(e);
        assertThat(new String(json, UTF_8)).contains("\"loss\":\"NaN\"").contains("\"0_W\":\"Infinity\"");
        StepEvent back = EventJson.parseStep(json);
        assertThat(back.loss()).isNaN();
        assertThat(back).usingRecursiveComparison().ignoringFields("loss").isEqualTo(e);
    }

    @Test
    void shouldWriteAlertsInSnakeCaseAsInTheContract() throws Exception {
        AlertEvent a = new AlertEvent(
                1,
                AlertEvent.alertId("run-1", AlertType.LOSS_EXPONENTIAL_GROWTH, 37),
                "run-1",
                AlertType.LOSS_EXPONENTIAL_GROWTH,
                AlertStatus.FIRING,
                Severity.CRITICAL,
                52,
                37,
                Instant.parse("2026-11-27T05:00:00Z"),
                Instant.parse("2026-11-27T05:00:01Z"),
                new AlertEvent.Fit(32, 0.081, 8.6, 0.97),
                new AlertEvent.Forecast(1011, 3.4e38),
                new AlertEvent.Diagnosis(
                        Cause.LEARNING_RATE_TOO_HIGH, 0.8, List.of("update_ratio 0.41 > 0.1"), "Lower it"));
        byte[] json = EventJson.writeAlert(a);
        JsonNode n = EventJson.MAPPER.readTree(json);
        assertThat(n.get("alert_id").asText()).isEqualTo("run-1/LOSS_EXPONENTIAL_GROWTH/37");
        assertThat(n.get("status").asText()).isEqualTo("firing");
        assertThat(n.get("severity").asText()).isEqualTo("critical");
        assertThat(n.get("onset_step").asLong()).isEqualTo(37);
        assertThat(n.get("time").asText()).isEqualTo("2026-11-27T05:00:00Z");
        assertThat(n.get("fit").get("growth_rate_per_step").asDouble()).isEqualTo(0.081);
        assertThat(n.get("forecast").get("steps_to_overflow").asDouble()).isEqualTo(1011);
        assertThat(n.get("diagnosis").get("cause").asText()).isEqualTo("LEARNING_RATE_TOO_HIGH");
        assertThat(EventJson.parseAlert(json)).isEqualTo(a);
    }

    @Test
    void shouldReadACauseItDoesNotKnowAsUnknownAndKeepTheRestOfTheAlert() throws Exception {
        AlertEvent a = new AlertEvent(
                1,
                "r/LOSS_BLOWUP/3",
                "r",
                AlertType.LOSS_BLOWUP,
                AlertStatus.FIRING,
                Severity.CRITICAL,
                9,
                3,
                null,
                Instant.EPOCH,
                null,
                null,
                new AlertEvent.Diagnosis(
                        Cause.LEARNING_RATE_NEGATIVE, 0.9, List.of("learning_rate is -0.002"), "Fix it"));
        String json = new String(EventJson.writeAlert(a), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(json).contains("\"cause\":\"LEARNING_RATE_NEGATIVE\"");
        assertThat(EventJson.parseAlert(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isEqualTo(a);
        // from a later release: a cause not in this one's list
        AlertEvent later = EventJson.parseAlert(json.replace("LEARNING_RATE_NEGATIVE", "A_CAUSE_OF_LATER")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(later.diagnosis().cause()).isEqualTo(Cause.UNKNOWN);
        assertThat(later.diagnosis().evidence()).containsExactly("learning_rate is -0.002");
        assertThat(later.runId()).isEqualTo("r");
        // an alert type it does not know still does not parse: what the alert is about cannot be guessed
        assertThatThrownBy(() -> EventJson.parseAlert(json.replace("LOSS_BLOWUP\",", "A_TYPE_OF_LATER\",")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidEventException.class);
    }

    @Test
    void shouldWriteInfiniteDoublingStepsSoThatTheAlertStillParses() throws Exception {
        AlertEvent a = new AlertEvent(
                1,
                "r/LOSS_NON_FINITE/3",
                "r",
                AlertType.LOSS_NON_FINITE,
                AlertStatus.FIRING,
                Severity.CRITICAL,
                3,
                3,
                null,
                Instant.EPOCH,
                new AlertEvent.Fit(4, 0.0, Double.POSITIVE_INFINITY, Double.NaN),
                null,
                null);
        AlertEvent back = EventJson.parseAlert(EventJson.writeAlert(a));
        assertThat(back.fit().doublingSteps()).isInfinite();
        assertThat(back.fit().r2()).isNaN();
    }

    @Test
    void shouldAcceptExactlyTheRunIdsOfTheDocumentedPattern() {
        java.util.regex.Pattern documented = java.util.regex.Pattern.compile("[A-Za-z0-9._:/-]{1,128}");
        String alphabet = "aZ09._:/-\u00e9 \u0000#\ud83d\ude00\"\\";
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        for (int k = 0; k < 20_000; k++) {
            int n = rnd.nextInt(4) == 0 ? rnd.nextInt(120, 135) : rnd.nextInt(0, 6);
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < n; i++) {
                b.append(
                        rnd.nextInt(10) < 8
                                ? alphabet.charAt(rnd.nextInt(9))
                                : alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
            String id = b.toString();
            assertThat(EventJson.isValidRunId(id))
                    .as(id)
                    .isEqualTo(documented.matcher(id).matches());
        }
    }
}
