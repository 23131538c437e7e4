package io.losswatch.client.attach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.losswatch.events.StepEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogParsersTest {

    static List<String> resource(String name) throws IOException {
        try (InputStream in = LogParsersTest.class.getResourceAsStream("/attach/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    static List<StepEvent> parseAll(RowParser parser, List<String> lines) {
        List<StepEvent> out = new ArrayList<>();
        lines.forEach(l -> out.addAll(parser.line(l)));
        out.addAll(parser.flush());
        return out;
    }

    @Test
    void shouldTurnEachKerasEpochRowIntoTheStepOfThatEpochWithValidationLossAndLearningRate() throws IOException {
        List<StepEvent> events = parseAll(
                LogFormat.KERAS_CSV.parser("keras-run", Map.of("optimizer", "adam"), null),
                resource("keras_csvlogger.csv"));

        assertThat(events).extracting(StepEvent::step).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        StepEvent first = events.get(0);
        assertThat(first.runId()).isEqualTo("keras-run");
        assertThat(first.loss()).isEqualTo(0.6254613399505615);
        assertThat(first.valLoss()).isEqualTo(0.45606622099876404);
        assertThat(first.learningRate()).isEqualTo(0.0010000000474974513);
        assertThat(first.epoch()).isZero();
        assertThat(first.labels()).containsEntry("optimizer", "adam");
        StepEvent last = events.get(5);
        assertThat(last.loss()).isNaN();
        assertThat(last.valLoss())
                .as("NA is what Keras writes for a value it does not have")
                .isNull();
    }

    @Test
    void shouldReadLightningStepRowsJoiningValidationAndLearningRateRowsAndSkippingEpochRows() throws IOException {
        List<StepEvent> events =
                parseAll(LogFormat.LIGHTNING_CSV.parser("pl-run", Map.of(), null), resource("lightning_metrics.csv"));

        assertThat(events).extracting(StepEvent::step).containsExactly(9L, 19L, 29L, 39L, 49L, 59L, 69L, 79L, 89L, 99L);
        assertThat(events.get(0).loss()).isEqualTo(1.2811930179595947);
        assertThat(events.get(0).learningRate()).isEqualTo(0.001);
        assertThat(events.get(5).learningRate()).isEqualTo(0.0005);
        assertThat(events.get(4).valLoss()).isEqualTo(0.5932145714759827);
        assertThat(events.get(9).valLoss()).isEqualTo(0.4979355037212372);
        assertThat(events.stream().filter(e -> e.valLoss() != null)).hasSize(2);
        assertThat(events.get(5).epoch()).isEqualTo(1);
    }

    @Test
    void shouldUseTheEpochLossOfALightningFileThatLogsNoStepLoss() {
        List<StepEvent> events = parseAll(
                LogFormat.LIGHTNING_CSV.parser("pl-epochs", Map.of(), null),
                List.of(
                        "epoch,step,train_loss_epoch,val_loss",
                        "0,99,,0.61",
                        "0,99,0.72,",
                        "1,199,,0.55",
                        "1,199,0.50,"));

        assertThat(events).extracting(StepEvent::step).containsExactly(99L, 199L);
        assertThat(events.get(1).loss()).isEqualTo(0.50);
        assertThat(events.get(1).valLoss())
                .as("validation came just before: it joins the next training row")
                .isEqualTo(0.55);
    }

    @Test
    void shouldFillInSchemaAndRunIdOfJsonLinesAndAcceptBareNaN() throws IOException {
        List<StepEvent> events = parseAll(
                LogFormat.JSONL.parser("json-run", Map.of("optimizer", "sgd"), null), resource("train_log.jsonl"));

        assertThat(events).extracting(StepEvent::step).containsExactly(0L, 1L, 2L, 3L);
        assertThat(events).allSatisfy(e -> {
            assertThat(e.runId()).isEqualTo("json-run");
            assertThat(e.labels()).containsEntry("optimizer", "sgd");
        });
        assertThat(events.get(2).gradNorm()).isEqualTo(310.5);
        assertThat(events.get(3).loss()).isNaN();
        assertThat(events.get(3).gradNorm()).isInfinite();
    }

    @Test
    void shouldRejectABadLineInOneSentence() {
        RowParser jsonl = LogFormat.JSONL.parser("r", Map.of(), null);
        assertThatThrownBy(() -> jsonl.line("{\"step\": -1, \"loss\": 1}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("step");
        assertThatThrownBy(() -> jsonl.line("not json")).hasMessageStartingWith("not valid JSON");
        RowParser keras = LogFormat.KERAS_CSV.parser("r", Map.of(), null);
        assertThatThrownBy(() -> keras.line("step,acc")).hasMessageContaining("not a Keras CSVLogger header");
        keras.line("epoch,loss");
        assertThatThrownBy(() -> keras.line("1,abc")).hasMessage("column loss holds 'abc', not a number");
    }

    @Test
    void shouldSplitQuotedCsvCells() {
        assertThat(Csv.split("a,\"b,c\",\"d\"\"e\", f ")).containsExactly("a", "b,c", "d\"e", "f");
        assertThat(Csv.number("inf", "x")).isInfinite();
        assertThat(Csv.integer("3.0", "epoch")).isEqualTo(3L);
    }
}
