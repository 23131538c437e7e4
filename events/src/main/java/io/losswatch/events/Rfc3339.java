package io.losswatch.events;

import java.time.Instant;
import java.time.LocalDate;
import java.time.Month;
import java.time.OffsetDateTime;
import java.time.Year;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Reads an event's {@code time}. Every step event carries one, and {@link DateTimeFormatter} spends
 * 1.2-1.6 microseconds on it, measured warm (an eighth of the monitor's stream thread in a profile);
 * read by hand it takes 50-65 ns. So the form trainers write,
 * {@code 2026-11-27T05:00:00[.fraction](Z|+hh:mm|-hh:mm)}, is read by hand; any other text goes
 * to {@link DateTimeFormatter#ISO_OFFSET_DATE_TIME}, which decides. The hand-read form is a strict
 * subset of what that formatter accepts, with the same result (tested side by side).
 */
final class Rfc3339 {
    private Rfc3339() {}

    /** The instant, or a {@link DateTimeParseException} exactly as the ISO formatter throws it. */
    static Instant parse(String s) {
        Instant fast = parseCommonForm(s);
        return fast != null
                ? fast
                : OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                        .toInstant();
    }

    /** The instant when {@code s} is in the common form with valid fields; null otherwise. */
    static Instant parseCommonForm(String s) {
        int n = s.length();
        if (n < 20
                || s.charAt(4) != '-'
                || s.charAt(7) != '-'
                || s.charAt(10) != 'T'
                || s.charAt(13) != ':'
                || s.charAt(16) != ':') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 0
                || month < 1
                || month > 12
                || day < 1
                || hour < 0
                || hour > 23
                || minute < 0
                || minute > 59
                || second < 0
                || second > 59
                || day > Month.of(month).length(Year.isLeap(year))) {
            return null;
        }
        int i = 19;
        int nanos = 0;
        if (s.charAt(i) == '.') {
            int start = ++i;
            while (i < n && i - start < 9 && isDigit(s.charAt(i))) {
                nanos = nanos * 10 + (s.charAt(i++) - '0');
            }
            int width = i - start;
            if (width == 0 || (i < n && isDigit(s.charAt(i)))) {
                return null;
            }
            for (int k = width; k < 9; k++) {
                nanos *= 10;
            }
        }
        if (i >= n) {
            return null;
        }
        int offsetSeconds;
        char c = s.charAt(i);
        if (c == 'Z' && i + 1 == n) {
            offsetSeconds = 0;
        } else if ((c == '+' || c == '-') && i + 6 == n && s.charAt(i + 3) == ':') {
            int oh = digits(s, i + 1, 2);
            int om = digits(s, i + 4, 2);
            if (oh < 0 || om < 0 || om > 59 || oh * 60 + om > 18 * 60) {
                return null;
            }
            offsetSeconds = (oh * 3600 + om * 60) * (c == '-' ? -1 : 1);
        } else {
            return null;
        }
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds, nanos);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** The value of {@code width} ASCII digits at {@code from}, or -1. */
    private static int digits(String s, int from, int width) {
        int v = 0;
        for (int i = from; i < from + width; i++) {
            char c = s.charAt(i);
            if (!isDigit(c)) {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
