package io.losswatch.client.attach;

import io.losswatch.events.StepEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * PyTorch Lightning {@code CSVLogger} files ({@code metrics.csv}): a header with {@code epoch}, {@code step}
 * and every logged name, one row per logging call with empty cells for what that call did not log.
 * {@code self.log("train_loss", ..., on_step=True, on_epoch=True)} gives {@code train_loss_step} on
 * training rows and {@code train_loss_epoch} on an epoch-end row; validation comes on rows of its own.
 *
 * <p>Each row with a step-level training loss becomes the event of its step. A validation row's
 * {@code val_loss} joins the training row of the same step (held back until the next row, or until there
 * is nothing more to read), or else the next training row. Epoch-level losses are used
 * only when the file has no step-level loss.
 */
final class LightningCsvParser implements RowParser {

    static final List<String> LOSS =
            List.of("train_loss_step", "train_loss", "loss_step", "loss", "train_loss_epoch", "loss_epoch");
    static final List<String> VAL_LOSS =
            List.of("val_loss", "val_loss_epoch", "validation_loss", "valid_loss", "val_loss_step");
    static final List<String> LEARNING_RATE = List.of("learning_rate", "lr");

    private final String runId;
    private final Map<String, String> labels;
    private final String lossOverride;
    private CsvColumns columns;
    private String loss;
    private String valLoss;
    private String lr;
    private StepEvent held;
    private Double pendingVal;
    /** LearningRateMonitor logs on rows of its own: the rate in force for the rows after it. */
    private Double lastLr;

    LightningCsvParser(String runId, Map<String, String> labels, String lossColumn) {
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
        if (columns == null || cells.contains("step") && cells.contains("epoch")) {
            List<StepEvent> out = flush();
            header(cells);
            return out;
        }
        Long step = Csv.integer(columns.cell(cells, "step"), "step");
        if (step == null) {
            throw new IllegalArgumentException("row without a step: '" + line + "'");
        }
        Long epoch = Csv.integer(columns.cell(cells, "epoch"), "epoch");
        Double value = Csv.number(columns.cell(cells, loss), loss);
        Double val = Csv.number(columns.cell(cells, valLoss), valLoss);
        Double rate = Csv.number(columns.cell(cells, lr), lr);
        if (rate != null) {
            lastLr = rate;
        }
        List<StepEvent> out = new ArrayList<>(1);
        if (value != null) {
            out.addAll(flush());
            held = new StepEvent(
                    StepEvent.SCHEMA_VERSION,
                    runId,
                    step,
                    null,
                    value,
                    null,
                    null,
                    lastLr,
                    null,
                    null,
                    val != null ? val : pendingVal,
                    epoch == null ? null : epoch.intValue(),
                    labels);
            pendingVal = null;
        } else if (val != null) {
            if (held != null && held.step() == step) {
                held = held.withValLoss(val);
            } else {
                out.addAll(flush());
                pendingVal = val;
            }
        }
        return out;
    }

    private void header(List<String> cells) {
        CsvColumns c = new CsvColumns(cells);
        if (!c.has("step")) {
            throw new IllegalArgumentException("the first line is not a Lightning CSVLogger header (no 'step' column): "
                    + String.join(",", cells));
        }
        String l = lossOverride != null ? c.first(List.of(lossOverride)) : c.first(LOSS);
        if (l == null) {
            throw new IllegalArgumentException("the header has no training loss column (looked for "
                    + (lossOverride != null ? lossOverride : String.join(", ", LOSS)) + "; columns: "
                    + String.join(",", cells) + "); pass --loss-column");
        }
        columns = c;
        loss = l;
        valLoss = c.first(VAL_LOSS);
        // LearningRateMonitor logs "lr-Adam", "lr-SGD", ...
        lr = c.first(LEARNING_RATE) != null ? c.first(LEARNING_RATE) : c.firstStartingWith("lr-");
    }

    @Override
    public List<StepEvent> flush() {
        if (held == null) {
            return List.of();
        }
        StepEvent e = held;
        held = null;
        return List.of(e);
    }

    @Override
    public void reset() {
        columns = null;
        pendingVal = null;
    }
}
