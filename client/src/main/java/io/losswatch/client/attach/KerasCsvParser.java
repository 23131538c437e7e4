package io.losswatch.client.attach;

import io.losswatch.events.StepEvent;
import java.util.List;
import java.util.Map;

/**
 * Keras {@code CSVLogger} files: one row per epoch, {@code epoch} first and then the logged metrics in
 * alphabetical order ({@code epoch,accuracy,loss,val_accuracy,val_loss}, with {@code learning_rate} or
 * {@code lr} when a callback logs it); {@code NA} where a value is missing. Each row becomes the step
 * event of step = epoch.
 */
final class KerasCsvParser implements RowParser {

    static final List<String> LOSS = List.of("loss");
    static final List<String> VAL_LOSS = List.of("val_loss");
    static final List<String> LEARNING_RATE = List.of("learning_rate", "lr");

    private final String runId;
    private final Map<String, String> labels;
    private final String lossOverride;
    private CsvColumns columns;
    private String loss;

    KerasCsvParser(String runId, Map<String, String> labels, String lossColumn) {
        this.runId = runId;
        this.labels = Map.copyOf(labels);
        this.lossOverride = lossColumn;
    }

    @Override
    public List<StepEvent> line(String line) {
        if (line.isBlank()) {
            return List.of();
        }
        List<String> cells = Csv.split(line);
        if (columns == null || "epoch".equals(cells.get(0))) {
            header(cells);
            return List.of();
        }
        Long epoch = Csv.integer(columns.cell(cells, "epoch"), "epoch");
        Double value = Csv.number(columns.cell(cells, loss), loss);
        if (epoch == null || value == null) {
            throw new IllegalArgumentException("row without epoch or " + loss + ": '" + line + "'");
        }
        String lr = columns.first(LEARNING_RATE);
        StepEvent event = new StepEvent(
                StepEvent.SCHEMA_VERSION,
                runId,
                epoch,
                null,
                value,
                null,
                null,
                Csv.number(columns.cell(cells, lr), lr),
                null,
                null,
                Csv.number(columns.cell(cells, "val_loss"), "val_loss"),
                epoch.intValue(),
                labels);
        return List.of(event);
    }

    private void header(List<String> cells) {
        CsvColumns c = new CsvColumns(cells);
        if (!c.has("epoch")) {
            throw new IllegalArgumentException(
                    "the first line is not a Keras CSVLogger header (no 'epoch' column): " + String.join(",", cells));
        }
        String l = lossOverride != null ? c.first(List.of(lossOverride)) : c.first(LOSS);
        if (l == null) {
            throw new IllegalArgumentException("the header has no " + (lossOverride != null ? lossOverride : "loss")
                    + " column (columns: " + String.join(",", cells) + "); pass --loss-column");
        }
        columns = c;
        loss = l;
    }

    @Override
    public List<StepEvent> flush() {
        return List.of();
    }

    @Override
    public void reset() {
        columns = null;
    }
}
