package io.losswatch.client.attach;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A CSV header: which cell holds which column. */
final class CsvColumns {

    private final Map<String, Integer> index = new HashMap<>();
    private final List<String> names;

    CsvColumns(List<String> names) {
        this.names = List.copyOf(names);
        for (int i = 0; i < names.size(); i++) {
            index.putIfAbsent(names.get(i), i);
        }
    }

    /** The first of {@code candidates} that is a column, or null. */
    String first(List<String> candidates) {
        for (String c : candidates) {
            if (index.containsKey(c)) {
                return c;
            }
        }
        return null;
    }

    /** The first column whose name starts with {@code prefix}, or null. */
    String firstStartingWith(String prefix) {
        for (String n : names) {
            if (n.startsWith(prefix)) {
                return n;
            }
        }
        return null;
    }

    boolean has(String name) {
        return index.containsKey(name);
    }

    /** The cell of {@code column} in {@code row}; null when the column is absent or the row is short. */
    String cell(List<String> row, String column) {
        if (column == null) {
            return null;
        }
        Integer i = index.get(column);
        return i == null || i >= row.size() ? null : row.get(i);
    }

    List<String> names() {
        return names;
    }
}
