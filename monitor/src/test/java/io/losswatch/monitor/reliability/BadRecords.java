package io.losswatch.monitor.reliability;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The corpus of malformed and odd records, each with what the monitor must do with it. Shared by the
 * topology test and the broker IT, so both check the same promises.
 */
final class BadRecords {
    /** What the monitor does with a record: {@code dlq:REASON}, {@code ignored:REASON} or {@code accepted}. */
    record Case(String name, byte[] key, byte[] value, String expected) {
        boolean deadLetter() {
            return expected.startsWith("dlq:");
        }

        String reason() {
            return expected.substring(expected.indexOf(':') + 1);
        }
    }

    /** Run that the corpus leaves alone: its steps are interleaved with the corpus. */
    static final String DIVERGING = "div";

    static final String HEALTHY = "ok";
    /** Run id that malformed records claim; it never gets a valid step. */
    static final String JUNK = "junk";

    static final int STEPS = 120;

    private BadRecords() {}

    static StepEvent divergingStep(int i) {
        double loss = i < 40 ? 2.3 * Math.exp(-0.01 * i) : 2.3 * Math.exp(-0.4) * Math.exp(0.1 * (i - 40));
        return StepEvent.of(DIVERGING, i, loss).withLearningRate(0.5).withLabels(Map.of("optimizer", "sgd"));
    }

    static StepEvent healthyStep(int i) {
        return StepEvent.of(HEALTHY, i, 2.3 * Math.exp(-i / 60.0)).withLearningRate(0.001);
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static Case json(String name, String value, String expected) {
        return new Case(name, b(JUNK), b(value), expected);
    }

    private static String step(String fields) {
        return "{\"schema\":1,\"run_id\":\"junk\",\"step\":1,\"loss\":1.0" + (fields.isEmpty() ? "" : "," + fields)
                + "}";
    }

    private static String without(String field) {
        Map<String, String> all = new java.util.LinkedHashMap<>();
        all.put("schema", "1");
        all.put("run_id", "\"junk\"");
        all.put("step", "1");
        all.put("loss", "1.0");
        all.remove(field);
        StringBuilder s = new StringBuilder("{");
        all.forEach((k, v) -> s.append(s.length() > 1 ? "," : "")
                .append('"')
                .append(k)
                .append("\":")
                .append(v));
        return s.append('}').toString();
    }

    /**
     * Every kind of bad record. {@code step} is the step of the diverging run that has just been sent,
     * used by the cases that repeat or go back in that run.
     */
    static List<Case> corpus() {
        List<Case> c = new ArrayList<>();
        String valid = step("");
        c.add(json("not JSON at all", "not json", "dlq:not_json"));
        c.add(json("truncated JSON", valid.substring(0, valid.length() / 2), "dlq:not_json"));
        c.add(new Case("empty value", b(JUNK), new byte[0], "dlq:empty"));
        c.add(new Case("null value (tombstone)", b(JUNK), null, "dlq:empty"));
        c.add(new Case("null key", null, b(valid), "dlq:missing_key"));
        c.add(new Case("empty key", new byte[0], b(valid), "dlq:missing_key"));
        c.add(new Case("key and run_id differ", b("other-run"), b(valid), "dlq:key_mismatch"));
        c.add(new Case("key is not UTF-8", new byte[] {(byte) 0xff, (byte) 0xfe, 0x41}, b(valid), "dlq:key_mismatch"));
        c.add(json("JSON array", "[1,2,3]", "dlq:not_an_object"));
        c.add(json("JSON string", "\"loss\"", "dlq:not_an_object"));
        c.add(json("JSON number", "42", "dlq:not_an_object"));
        c.add(json("JSON null", "null", "dlq:not_an_object"));
        c.add(json("only whitespace", "   \n ", "dlq:not_an_object"));
        c.add(json("unknown schema version", valid.replace("\"schema\":1", "\"schema\":2"), "dlq:unsupported_schema"));
        c.add(json("schema as a string", valid.replace("\"schema\":1", "\"schema\":\"1\""), "dlq:wrong_type"));
        c.add(json("missing schema", without("schema"), "dlq:missing_field"));
        c.add(json("missing run_id", without("run_id"), "dlq:missing_field"));
        c.add(json("missing step", without("step"), "dlq:missing_field"));
        c.add(json("missing loss", without("loss"), "dlq:missing_field"));
        c.add(json("loss null", valid.replace("\"loss\":1.0", "\"loss\":null"), "dlq:missing_field"));
        c.add(json("negative step", valid.replace("\"step\":1", "\"step\":-1"), "dlq:invalid_step"));
        c.add(json("huge step", valid.replace("\"step\":1", "\"step\":10000000000000"), "dlq:invalid_step"));
        c.add(json(
                "step beyond long",
                valid.replace("\"step\":1", "\"step\":123456789012345678901234567890"),
                "dlq:invalid_step"));
        c.add(json("fractional step", valid.replace("\"step\":1", "\"step\":1.5"), "dlq:invalid_step"));
        c.add(json("step as a word", valid.replace("\"step\":1", "\"step\":\"ten\""), "dlq:invalid_step"));
        c.add(json(
                "loss as an unknown string",
                valid.replace("\"loss\":1.0", "\"loss\":\"very high\""),
                "dlq:invalid_value"));
        c.add(json("loss as a boolean", valid.replace("\"loss\":1.0", "\"loss\":true"), "dlq:wrong_type"));
        c.add(json("loss as an object", valid.replace("\"loss\":1.0", "\"loss\":{\"v\":1}"), "dlq:wrong_type"));
        c.add(json(
                "loss with 500 digits", valid.replace("\"loss\":1.0", "\"loss\":" + "9".repeat(500)), "dlq:not_json"));
        c.add(json("run_id with spaces", valid.replace("\"junk\"", "\"my run\""), "dlq:invalid_run_id"));
        c.add(json(
                "run_id of 200 characters",
                valid.replace("\"junk\"", "\"" + "r".repeat(200) + "\""),
                "dlq:invalid_run_id"));
        c.add(json("run_id empty", valid.replace("\"junk\"", "\"\""), "dlq:invalid_run_id"));
        c.add(json("run_id as a number", valid.replace("\"junk\"", "7"), "dlq:invalid_run_id"));
        c.add(json("time not RFC 3339", step("\"time\":\"yesterday\""), "dlq:invalid_time"));
        c.add(json("time as a number", step("\"time\":1732683600"), "dlq:invalid_time"));
        c.add(json("grad_norm as a word", step("\"grad_norm\":\"big\""), "dlq:wrong_type"));
        c.add(json("labels as an array", step("\"labels\":[\"a\"]"), "dlq:wrong_type"));
        StringBuilder labels = new StringBuilder("\"labels\":{");
        for (int i = 0; i < 100; i++) {
            labels.append(i > 0 ? "," : "").append("\"k").append(i).append("\":\"v\"");
        }
        c.add(json("100 labels", step(labels.append('}').toString()), "dlq:invalid_value"));
        c.add(json("layer_grad_norms as a string", step("\"layer_grad_norms\":\"0_W\""), "dlq:wrong_type"));
        c.add(json("negative epoch", step("\"epoch\":-1"), "dlq:invalid_value"));
        c.add(json("duplicate field", valid.replace("\"loss\":1.0", "\"loss\":1.0,\"loss\":2.0"), "dlq:not_json"));
        c.add(json("trailing content", valid + " {}", "dlq:not_json"));
        c.add(json("JSON with a comment", "/* step */" + valid, "dlq:not_json"));
        c.add(json("deeply nested JSON", step("\"extra\":" + "[".repeat(5000) + "]".repeat(5000)), "dlq:not_json"));
        byte[] badUtf8 = b(step("\"labels\":{\"model\":\"XX\"}"));
        int at = new String(badUtf8, UTF_8).indexOf("XX");
        badUtf8[at] = (byte) 0xc3;
        badUtf8[at + 1] = (byte) 0x28;
        c.add(new Case("invalid UTF-8 in the value", b(JUNK), badUtf8, "dlq:not_json"));
        byte[] garbage = new byte[512];
        new java.util.Random(7).nextBytes(garbage);
        garbage[0] = (byte) 0x9f; // not a JSON start
        c.add(new Case("binary garbage", b(JUNK), garbage, "dlq:not_json"));
        byte[] big = new byte[1_000_000]; // 1 MB: under the broker's default message limit, over the event's
        Arrays.fill(big, (byte) ' ');
        byte[] head = b(valid);
        System.arraycopy(head, 0, big, 0, head.length);
        c.add(new Case("1 MB record", b(JUNK), big, "dlq:too_large"));
        // accepted: valid records of runs of their own that look odd
        c.add(new Case(
                "unknown extra fields",
                b("extra-fields"),
                b("{\"schema\":1,\"run_id\":\"extra-fields\",\"step\":3,\"loss\":0.5,\"optimizer_state\":{\"m\":[1,2]},"
                        + "\"note\":\"hi\",\"flags\":[true,null]}"),
                "accepted"));
        c.add(new Case(
                "enormous but finite numbers",
                b("enormous"),
                b("{\"schema\":1,\"run_id\":\"enormous\",\"step\":1,\"loss\":1.7e308,\"grad_norm\":1e400,"
                        + "\"learning_rate\":1e-320}"),
                "accepted"));
        c.add(new Case(
                "bare NaN from Python",
                b("python-nan"),
                b("{\"schema\":1,\"run_id\":\"python-nan\",\"step\":1,\"loss\":NaN,\"grad_norm\":Infinity}"),
                "accepted"));
        c.add(new Case(
                "integral step written as a float",
                b("float-step"),
                b("{\"schema\":1,\"run_id\":\"float-step\",\"step\":5.0,\"loss\":1}"),
                "accepted"));
        c.add(new Case(
                "the largest allowed step",
                b("last-step"),
                b("{\"schema\":1,\"run_id\":\"last-step\",\"step\":" + EventJson.MAX_STEP + ",\"loss\":1}"),
                "accepted"));
        return c;
    }

    /** Cases that touch the diverging run itself; sent right after its step {@code step} (> 10). */
    static List<Case> staleSteps(int step) {
        return List.of(
                new Case(
                        "repeated step",
                        b(DIVERGING),
                        EventJson.writeStep(divergingStep(step).withLearningRate(9.0)),
                        "ignored:stale_step"),
                new Case(
                        "step going backwards",
                        b(DIVERGING),
                        EventJson.writeStep(StepEvent.of(DIVERGING, step - 5, 1e6)),
                        "ignored:stale_step"));
    }
}
