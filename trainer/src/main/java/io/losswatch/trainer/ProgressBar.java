package io.losswatch.trainer;

import io.losswatch.events.StepEvent;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The terminal progress bar of {@code train}: one line redrawn in place (carriage return, erase to end
 * of line) with the step, loss, learning rate, rate and time left, at most every 100 ms. Only used when
 * the output is a terminal; elsewhere {@code train} prints plain lines.
 */
public final class ProgressBar implements Consumer<StepEvent> {

    static final int WIDTH = 24;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter out;
    private final long totalSteps;
    private final long startNanos = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    public ProgressBar(PrintWriter out, long totalSteps) {
        this.out = out;
        this.totalSteps = totalSteps;
    }

    @Override
    public void accept(StepEvent event) {
        long now = System.nanoTime();
        boolean last = event.step() + 1 >= totalSteps;
        if (drawn && !last && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        double seconds = (now - startNanos) / 1e9;
        double rate = seconds > 0 ? (event.step() + 1) / seconds : 0;
        out.print("\r\033[K" + line(event, totalSteps, rate));
        out.flush();
        lastDraw = now;
        drawn = true;
    }

    /** Prints {@code text} on a line of its own above the bar. */
    public void note(String text) {
        out.print(drawn ? "\r\033[K" + text + "\n" : text + "\n");
        out.flush();
        drawn = false;
    }

    /** Ends the bar's line so what follows starts on a new one. */
    public void finish() {
        if (drawn) {
            out.println();
            out.flush();
            drawn = false;
        }
    }

    /** The bar's text: {@code [#####-------] 120/300 loss 0.5300 lr 0.001 12.3 steps/s 15s left}. */
    static String line(StepEvent event, long totalSteps, double stepsPerSecond) {
        long done = Math.min(totalSteps, event.step() + 1);
        int filled = totalSteps <= 0 ? 0 : (int) (WIDTH * done / totalSteps);
        String bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
        String left = stepsPerSecond > 0 ? duration((totalSteps - done) / stepsPerSecond) + " left" : "";
        return String.format(
                        Locale.ROOT,
                        "[%s] %d/%d loss %.4g lr %s %.1f steps/s %s",
                        bar,
                        done,
                        totalSteps,
                        event.loss(),
                        event.learningRate(),
                        stepsPerSecond,
                        left)
                .stripTrailing();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
}
