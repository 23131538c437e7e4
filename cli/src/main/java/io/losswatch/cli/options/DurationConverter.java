package io.losswatch.cli.options;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** Reads durations as people write them: {@code 90s}, {@code 30m}, {@code 2h}, {@code 7d}, or ISO {@code PT30M}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("pt") || v.startsWith("p")) {
                return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
            }
            int split = 0;
            while (split < v.length() && (Character.isDigit(v.charAt(split)) || v.charAt(split) == '.')) {
                split++;
            }
            double n = Double.parseDouble(v.substring(0, split));
            String unit = v.substring(split).trim();
            double ms = switch (unit) {
                case "ms" -> n;
                case "s", "" -> n * 1000;
                case "m", "min" -> n * 60_000;
                case "h" -> n * 3_600_000;
                case "d" -> n * 86_400_000;
                default -> throw new IllegalArgumentException(unit);
            };
            return Duration.ofMillis((long) ms);
        } catch (RuntimeException e) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a duration; write it like 90s, 30m, 2h or 7d");
        }
    }
}
