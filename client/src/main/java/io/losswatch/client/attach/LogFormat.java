package io.losswatch.client.attach;

import java.util.Locale;
import java.util.Map;

/** The log files {@code losswatch attach} can follow. */
public enum LogFormat {
    KERAS_CSV("keras-csv"),
    LIGHTNING_CSV("lightning-csv"),
    JSONL("jsonl");

    private final String label;

    LogFormat(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** Accepts {@code keras-csv}, {@code lightning-csv}, {@code jsonl}, any case. */
    public static LogFormat parse(String s) {
        for (LogFormat f : values()) {
            if (f.label.equalsIgnoreCase(s) || f.name().equalsIgnoreCase(s)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown format '" + s + "': use keras-csv, lightning-csv or jsonl");
    }

    /**
     * @param runId      the run id every event carries; for JSONL only where a line has none (may then be null)
     * @param lossColumn the training-loss column of a CSV file, or null for the usual names
     */
    public RowParser parser(String runId, Map<String, String> labels, String lossColumn) {
        return switch (this) {
            case KERAS_CSV -> new KerasCsvParser(runId, labels, lossColumn);
            case LIGHTNING_CSV -> new LightningCsvParser(runId, labels, lossColumn);
            case JSONL -> new JsonlParser(runId, labels);
        };
    }

    @Override
    public String toString() {
        return label.toLowerCase(Locale.ROOT);
    }
}
