package io.losswatch.client.attach;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The CSV that Python's {@code csv} module writes: commas, optional double quotes, {@code ""} inside quotes. */
final class Csv {

    private Csv() {}

    static List<String> split(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                cells.add(cell.toString().strip());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        cells.add(cell.toString().strip());
        return cells;
    }

    /**
     * A number cell: null when empty or {@code NA} (what Keras writes for a value it does not have);
     * {@code nan}, {@code inf}, {@code -inf} as Python prints them.
     */
    static Double number(String cell, String column) {
        if (cell == null || cell.isEmpty() || cell.equalsIgnoreCase("NA")) {
            return null;
        }
        switch (cell.toLowerCase(Locale.ROOT)) {
            case "nan":
                return Double.NaN;
            case "inf", "+inf", "infinity":
                return Double.POSITIVE_INFINITY;
            case "-inf", "-infinity":
                return Double.NEGATIVE_INFINITY;
            default:
                break;
        }
        try {
            return Double.parseDouble(cell);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("column " + column + " holds '" + cell + "', not a number");
        }
    }

    /** A step or epoch cell; Python may print it as {@code 3.0}. */
    static Long integer(String cell, String column) {
        Double d = number(cell, column);
        if (d == null) {
            return null;
        }
        if (!Double.isFinite(d) || d < 0 || d != Math.rint(d)) {
            throw new IllegalArgumentException("column " + column + " holds '" + cell + "', not a whole number >= 0");
        }
        return d.longValue();
    }
}
