package io.losswatch.events;

import static io.losswatch.events.InvalidEventException.Reason.*;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The one place where events become JSON and back.
 *
 * <p>Step events are parsed with a streaming parser rather than data binding: it is several times
 * cheaper on the monitor's hot path, and it lets validation say exactly which field is wrong. Both
 * the bare tokens {@code NaN}, {@code Infinity}, {@code -Infinity} (what Python's {@code json.dumps}
 * writes) and the same words as strings are accepted wherever a number is. Unknown fields are
 * skipped, so trainers may send more than the contract names.
 *
 * <p>Both event types are read and written here, in one file: one contract, one place to change it.
 */
public final class EventJson {

    /** Larger step records are rejected: a step event is a few hundred bytes. */
    public static final int MAX_RECORD_BYTES = 256 * 1024;
    /** No real run has this many steps; larger values are taken as corrupt. */
    public static final long MAX_STEP = 1_000_000_000_000L;

    public static final int MAX_RUN_ID_LENGTH = 128;
    public static final int MAX_LABELS = 32;
    public static final int MAX_LABEL_KEY_LENGTH = 64;
    public static final int MAX_LABEL_VALUE_LENGTH = 256;
    public static final int MAX_LAYER_NORMS = 512;

    private static final JsonFactory FACTORY =
            factory().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    /**
     * Step events are read without Jackson's duplicate detection, which builds a hash set for every
     * object (a tenth of the monitor's allocation): {@link #readStep} refuses a repeated field itself.
     */
    private static final JsonFactory STEP_FACTORY = factory().build();

    private static JsonFactoryBuilder factory() {
        return new JsonFactoryBuilder()
                .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER) // the same doubles, correctly rounded, faster
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(64)
                        .maxNumberLength(400)
                        .maxStringLength(MAX_RECORD_BYTES)
                        .build());
    }

    /** The shared mapper for alert events and anything else that uses data binding. */
    public static final ObjectMapper MAPPER = JsonMapper.builder(FACTORY)
            .addModule(new JavaTimeModule())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // a cause added by a later release reads as UNKNOWN here, not as an alert that does not parse
            .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_USING_DEFAULT_VALUE)
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
            .build();

    private EventJson() {}

    // ------------------------------------------------------------------ step events: read

    /**
     * Parses and validates one step event.
     *
     * @throws InvalidEventException naming what is wrong; the record should go to the DLQ
     */
    public static StepEvent parseStep(byte[] json) throws InvalidEventException {
        if (json == null || json.length == 0) {
            throw new InvalidEventException(EMPTY, "record value is empty; expected a JSON step event");
        }
        if (json.length > MAX_RECORD_BYTES) {
            throw new InvalidEventException(
                    TOO_LARGE, "record is " + json.length + " bytes; a step event may be at most " + MAX_RECORD_BYTES);
        }
        try (JsonParser p = STEP_FACTORY.createParser(json)) {
            return readStep(p);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException(NOT_JSON, "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidEventException(NOT_JSON, "not valid JSON: " + e.getMessage());
        }
    }

    private static StepEvent readStep(JsonParser p) throws IOException, InvalidEventException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new InvalidEventException(NOT_AN_OBJECT, "a step event must be a JSON object");
        }
        Integer schema = null;
        String runId = null;
        Long step = null;
        Instant time = null;
        Double loss = null;
        Double gradNorm = null;
        Map<String, Double> layerNorms = null;
        Double lr = null;
        Double paramNorm = null;
        Double updateRatio = null;
        Double valLoss = null;
        Integer epoch = null;
        Map<String, String> labels = null;
        Long resumedFrom = null;

        int seen = 0; // the known fields read so far, one bit each
        Set<String> unknown = null; // the names of the others, made at the first
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            int bit = fieldBit(name);
            if (bit != 0) {
                if ((seen & bit) != 0) {
                    throw duplicate(name);
                }
                seen |= bit;
            } else {
                unknown = unknown == null ? new HashSet<>() : unknown;
                if (!unknown.add(name)) {
                    throw duplicate(name);
                }
            }
            JsonToken v = p.nextToken();
            switch (name) {
                case "schema" -> {
                    long s = readInteger(p, v, name, WRONG_TYPE);
                    if (s != StepEvent.SCHEMA_VERSION) {
                        throw new InvalidEventException(
                                UNSUPPORTED_SCHEMA, "schema " + s + " is not supported; this monitor reads schema 1");
                    }
                    schema = (int) s;
                }
                case "run_id" -> runId = readRunId(p, v);
                case "step" -> {
                    long s = readInteger(p, v, name, INVALID_STEP);
                    if (s < 0 || s > MAX_STEP) {
                        throw new InvalidEventException(
                                INVALID_STEP, "step " + s + " is out of range; it must be between 0 and " + MAX_STEP);
                    }
                    step = s;
                }
                case "time" -> time = readTime(p, v);
                case "loss" -> loss = readNumber(p, v, name, false);
                case "grad_norm" -> gradNorm = readNumber(p, v, name, true);
                case "learning_rate" -> lr = readNumber(p, v, name, true);
                case "param_norm" -> paramNorm = readNumber(p, v, name, true);
                case "update_ratio" -> updateRatio = readNumber(p, v, name, true);
                case "val_loss" -> valLoss = readNumber(p, v, name, true);
                case "epoch" -> {
                    if (v != JsonToken.VALUE_NULL) {
                        long e = readInteger(p, v, name, WRONG_TYPE);
                        if (e < 0 || e > Integer.MAX_VALUE) {
                            throw new InvalidEventException(INVALID_VALUE, "epoch " + e + " is out of range");
                        }
                        epoch = (int) e;
                    }
                }
                case "resumed_from" -> {
                    if (v != JsonToken.VALUE_NULL) {
                        long r = readInteger(p, v, name, WRONG_TYPE);
                        if (r < 0 || r > MAX_STEP) {
                            throw new InvalidEventException(
                                    INVALID_VALUE,
                                    "resumed_from " + r + " is out of range; it must be between 0 and " + MAX_STEP);
                        }
                        resumedFrom = r;
                    }
                }
                case "layer_grad_norms" -> layerNorms = readLayerNorms(p, v);
                case "labels" -> labels = readLabels(p, v);
                default -> p.skipChildren(); // unknown fields are accepted and ignored
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw new InvalidEventException(NOT_JSON, "unexpected token " + t + " in step event");
        }
        if (p.nextToken() != null) {
            throw new InvalidEventException(NOT_JSON, "trailing content after the JSON object");
        }
        if (schema == null) {
            throw new InvalidEventException(MISSING_FIELD, "required field 'schema' is missing (use \"schema\": 1)");
        }
        if (runId == null) {
            throw new InvalidEventException(MISSING_FIELD, "required field 'run_id' is missing");
        }
        if (step == null) {
            throw new InvalidEventException(MISSING_FIELD, "required field 'step' is missing");
        }
        if (loss == null) {
            throw new InvalidEventException(MISSING_FIELD, "required field 'loss' is missing");
        }
        if (resumedFrom != null && resumedFrom > step) {
            throw new InvalidEventException(
                    INVALID_VALUE,
                    "resumed_from " + resumedFrom + " is after the step itself (" + step
                            + "): it names the step of the checkpoint the run went back to");
        }
        return new StepEvent(
                schema,
                runId,
                step,
                time,
                loss,
                gradNorm,
                layerNorms,
                lr,
                paramNorm,
                updateRatio,
                valLoss,
                epoch,
                labels,
                resumedFrom);
    }

    private static final String[] FIELDS = {
        "schema",
        "run_id",
        "step",
        "time",
        "loss",
        "grad_norm",
        "learning_rate",
        "param_norm",
        "update_ratio",
        "val_loss",
        "epoch",
        "resumed_from",
        "layer_grad_norms",
        "labels"
    };

    /** The field's bit among the {@link #FIELDS} a step event knows; 0 for another name. */
    private static int fieldBit(String name) {
        for (int i = 0; i < FIELDS.length; i++) {
            if (FIELDS[i].equals(name)) {
                return 1 << i;
            }
        }
        return 0;
    }

    /** A name given twice in one object: JSON that does not say which value is meant. */
    private static InvalidEventException duplicate(String name) {
        return new InvalidEventException(NOT_JSON, "not valid JSON: duplicate field '" + abbreviate(name) + "'");
    }

    private static String readRunId(JsonParser p, JsonToken v) throws IOException, InvalidEventException {
        if (v != JsonToken.VALUE_STRING) {
            throw new InvalidEventException(INVALID_RUN_ID, "'run_id' must be a string, got " + describe(v));
        }
        String s = p.getText();
        if (!isValidRunId(s)) {
            throw new InvalidEventException(
                    INVALID_RUN_ID, "'run_id' must be 1-128 characters of A-Z a-z 0-9 . _ : / -, got " + abbreviate(s));
        }
        return s;
    }

    /** 1-128 characters of A-Z a-z 0-9 . _ : / - (a loop: a regex match per record showed in the profile). */
    static boolean isValidRunId(String s) {
        int n = s.length();
        if (n < 1 || n > 128) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '.'
                    || c == '_'
                    || c == ':'
                    || c == '/'
                    || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static long readInteger(JsonParser p, JsonToken v, String field, InvalidEventException.Reason reason)
            throws IOException, InvalidEventException {
        if (v == JsonToken.VALUE_NUMBER_INT) {
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw new InvalidEventException(reason, "'" + field + "' is too large");
            }
            return p.getLongValue();
        }
        if (v == JsonToken.VALUE_NUMBER_FLOAT) {
            double d = p.getDoubleValue();
            if (Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 9.0e15) {
                return (long) d; // 3.0 from a trainer that writes every number as a float
            }
            throw new InvalidEventException(reason, "'" + field + "' must be an integer, got " + p.getText());
        }
        throw new InvalidEventException(reason, "'" + field + "' must be an integer, got " + describe(v));
    }

    private static Double readNumber(JsonParser p, JsonToken v, String field, boolean nullable)
            throws IOException, InvalidEventException {
        switch (v) {
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                // JSON numbers beyond double range read as +-Infinity: the value overflowed, which is what it says
                return p.getDoubleValue();
            }
            case VALUE_STRING -> {
                String s = p.getText();
                switch (s) {
                    case "NaN", "nan":
                        return Double.NaN;
                    case "Infinity", "inf", "+Infinity", "+inf":
                        return Double.POSITIVE_INFINITY;
                    case "-Infinity", "-inf":
                        return Double.NEGATIVE_INFINITY;
                    default:
                        throw new InvalidEventException(
                                field.equals("loss") ? INVALID_VALUE : WRONG_TYPE,
                                "'" + field + "' must be a number (or \"NaN\", \"Infinity\", \"-Infinity\"), got \""
                                        + abbreviate(s) + "\"");
                }
            }
            case VALUE_NULL -> {
                if (nullable) {
                    return null;
                }
                throw new InvalidEventException(MISSING_FIELD, "'" + field + "' is null; it is required");
            }
            default ->
                throw new InvalidEventException(WRONG_TYPE, "'" + field + "' must be a number, got " + describe(v));
        }
    }

    private static Instant readTime(JsonParser p, JsonToken v) throws IOException, InvalidEventException {
        if (v == JsonToken.VALUE_NULL) {
            return null;
        }
        if (v != JsonToken.VALUE_STRING) {
            throw new InvalidEventException(INVALID_TIME, "'time' must be an RFC 3339 string, got " + describe(v));
        }
        String s = p.getText();
        try {
            return Rfc3339.parse(s);
        } catch (DateTimeParseException e) {
            throw new InvalidEventException(
                    INVALID_TIME,
                    "'time' must be RFC 3339 like 2026-11-27T05:00:00.123Z, got \"" + abbreviate(s) + "\"");
        }
    }

    private static Map<String, Double> readLayerNorms(JsonParser p, JsonToken v)
            throws IOException, InvalidEventException {
        if (v == JsonToken.VALUE_NULL) {
            return null;
        }
        if (v != JsonToken.START_OBJECT) {
            throw new InvalidEventException(WRONG_TYPE, "'layer_grad_norms' must be an object of numbers");
        }
        Map<String, Double> m = new LinkedHashMap<>();
        Set<String> nulls = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            Double d = readNumber(p, p.nextToken(), "layer_grad_norms." + abbreviate(k), true);
            nulls = checkNew(m, nulls, k, d == null, "layer_grad_norms.");
            if (d != null) {
                if (m.size() >= MAX_LAYER_NORMS) {
                    throw new InvalidEventException(
                            INVALID_VALUE, "'layer_grad_norms' has more than " + MAX_LAYER_NORMS + " entries");
                }
                m.put(k, d);
            }
        }
        return m;
    }

    private static Map<String, String> readLabels(JsonParser p, JsonToken v) throws IOException, InvalidEventException {
        if (v == JsonToken.VALUE_NULL) {
            return null;
        }
        if (v != JsonToken.START_OBJECT) {
            throw new InvalidEventException(WRONG_TYPE, "'labels' must be an object of strings");
        }
        Map<String, String> m = new LinkedHashMap<>();
        Set<String> nulls = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String k = p.currentName();
            JsonToken t = p.nextToken();
            nulls = checkNew(m, nulls, k, t == JsonToken.VALUE_NULL, "labels.");
            if (t == JsonToken.VALUE_NULL) {
                continue;
            }
            if (!t.isScalarValue()) {
                throw new InvalidEventException(WRONG_TYPE, "label '" + abbreviate(k) + "' must be a string");
            }
            String val = p.getText();
            if (m.size() >= MAX_LABELS || k.length() > MAX_LABEL_KEY_LENGTH || val.length() > MAX_LABEL_VALUE_LENGTH) {
                throw new InvalidEventException(
                        INVALID_VALUE,
                        "'labels' allows at most " + MAX_LABELS
                                + " labels, keys of " + MAX_LABEL_KEY_LENGTH + " and values of "
                                + MAX_LABEL_VALUE_LENGTH
                                + " characters");
            }
            m.put(k, val);
        }
        return m;
    }

    /**
     * Refuses a key already read into {@code m} or given as null before (null entries are dropped);
     * returns the keys given as null so far, with {@code key} when {@code isNull}: null until there is one.
     */
    private static Set<String> checkNew(Map<String, ?> m, Set<String> nulls, String key, boolean isNull, String in)
            throws InvalidEventException {
        if (m.containsKey(key) || (nulls != null && nulls.contains(key))) {
            throw duplicate(in + key);
        }
        if (!isNull) {
            return nulls;
        }
        Set<String> n = nulls == null ? new HashSet<>() : nulls;
        n.add(key);
        return n;
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "nothing";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.toString();
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    // ------------------------------------------------------------------ step events: write

    /** Writes a step event. Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity". */
    public static byte[] writeStep(StepEvent e) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("schema", e.schema());
            g.writeStringField("run_id", e.runId());
            g.writeNumberField("step", e.step());
            if (e.time() != null) {
                g.writeStringField("time", e.time().toString());
            }
            writeNumber(g, "loss", e.loss());
            writeNumber(g, "grad_norm", e.gradNorm());
            if (!e.layerGradNorms().isEmpty()) {
                g.writeObjectFieldStart("layer_grad_norms");
                for (Map.Entry<String, Double> en : e.layerGradNorms().entrySet()) {
                    writeNumber(g, en.getKey(), en.getValue());
                }
                g.writeEndObject();
            }
            writeNumber(g, "learning_rate", e.learningRate());
            writeNumber(g, "param_norm", e.paramNorm());
            writeNumber(g, "update_ratio", e.updateRatio());
            writeNumber(g, "val_loss", e.valLoss());
            if (e.epoch() != null) {
                g.writeNumberField("epoch", e.epoch());
            }
            if (e.resumedFrom() != null) {
                g.writeNumberField("resumed_from", e.resumedFrom());
            }
            if (!e.labels().isEmpty()) {
                g.writeObjectFieldStart("labels");
                for (Map.Entry<String, String> en : e.labels().entrySet()) {
                    g.writeStringField(en.getKey(), en.getValue());
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    private static void writeNumber(JsonGenerator g, String name, Double v) throws IOException {
        if (v == null) {
            return;
        }
        double d = v;
        if (Double.isNaN(d)) {
            g.writeStringField(name, "NaN");
        } else if (Double.isInfinite(d)) {
            g.writeStringField(name, d > 0 ? "Infinity" : "-Infinity");
        } else {
            g.writeNumberField(name, d);
        }
    }

    // ------------------------------------------------------------------ alert events

    public static byte[] writeAlert(AlertEvent a) {
        try {
            return MAPPER.writeValueAsBytes(a);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static AlertEvent parseAlert(byte[] json) throws InvalidEventException {
        if (json == null || json.length == 0) {
            throw new InvalidEventException(EMPTY, "alert record is empty");
        }
        try {
            return MAPPER.readValue(json, AlertEvent.class);
        } catch (IOException e) {
            throw new InvalidEventException(NOT_JSON, "not a valid alert event: " + e.getMessage());
        }
    }
}
