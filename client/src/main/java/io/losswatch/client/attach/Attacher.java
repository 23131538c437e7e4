package io.losswatch.client.attach;

import io.losswatch.events.StepEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Follows one log file and hands every new step event to a sink (in production, a
 * {@link io.losswatch.client.MetricsPublisher}). Runs on the caller's thread until {@link #stop()} or,
 * when not following, until the end of the file.
 */
public final class Attacher {

    /** Bad lines reported one by one; after that only counted. */
    static final int REPORTED_BAD_LINES = 10;

    private final Path file;
    private final RowParser parser;
    private final boolean fromBeginning;
    private final Consumer<StepEvent> sink;
    private final StepDeduper dedupe = new StepDeduper();
    private Consumer<String> console = System.err::println;
    private Duration pollInterval = Duration.ofMillis(200);
    private volatile boolean stopRequested;
    private long lineNumber;
    private volatile long published;
    private volatile long duplicates;
    private volatile long badLines;
    private volatile long restarts;

    public Attacher(Path file, RowParser parser, boolean fromBeginning, Consumer<StepEvent> sink) {
        this.file = Objects.requireNonNull(file, "file");
        this.parser = Objects.requireNonNull(parser, "parser");
        this.fromBeginning = fromBeginning;
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** Where notes go: bad lines, rotation. Default: standard error. */
    public Attacher console(Consumer<String> sink) {
        this.console = Objects.requireNonNull(sink, "sink");
        return this;
    }

    /** How long to wait between looks at a file that has not grown. */
    public Attacher pollInterval(Duration interval) {
        this.pollInterval = Objects.requireNonNull(interval, "interval");
        return this;
    }

    /** Asks {@link #run} to return after the current round; safe from any thread. */
    public void stop() {
        stopRequested = true;
    }

    /**
     * Reads the file; with {@code follow}, keeps reading what is appended (and the files that replace it)
     * until {@link #stop()}; without, returns at its end.
     */
    public void run(boolean follow) throws IOException, InterruptedException {
        try (FileFollower follower = new FileFollower(file, fromBeginning, new FileFollower.Listener() {
            @Override
            public void lines(List<String> lines) {
                lines.forEach(Attacher.this::line);
            }

            @Override
            public void restarted(FileFollower.Restart why) {
                publish(parser.flush());
                parser.reset();
                restarts++;
                lineNumber = 0;
                console.accept(file + ": "
                        + switch (why) {
                            case ROTATED -> "rotated; reading the new file from its top";
                            case TRUNCATED -> "truncated; reading again from its top";
                            case REWRITTEN -> "rewritten; reading again from its top, skipping rows already sent";
                        });
            }
        })) {
            do {
                boolean read = follower.poll();
                publish(parser.flush());
                if (!follow) {
                    break;
                }
                if (!read && !stopRequested) {
                    Thread.sleep(pollInterval.toMillis());
                }
            } while (!stopRequested);
        }
    }

    private void line(String text) {
        lineNumber++;
        try {
            publish(parser.line(text));
        } catch (IllegalArgumentException e) {
            badLines++;
            if (badLines <= REPORTED_BAD_LINES) {
                console.accept(file + ":" + lineNumber + ": skipped: " + e.getMessage()
                        + (badLines == REPORTED_BAD_LINES ? " (further bad lines are only counted)" : ""));
            }
        }
    }

    private void publish(List<StepEvent> events) {
        for (StepEvent e : events) {
            if (dedupe.accept(e)) {
                sink.accept(e);
                published++;
            } else {
                duplicates++;
            }
        }
    }

    public long published() {
        return published;
    }

    /** Rows skipped because that step had been sent already (a file read again from its top). */
    public long duplicates() {
        return duplicates;
    }

    public long badLines() {
        return badLines;
    }

    /** Times the file was rotated, truncated or rewritten. */
    public long restarts() {
        return restarts;
    }

    /** Rows at an already-sent step with another loss: the trainer started over. */
    public long newAttempts() {
        return dedupe.newAttempts();
    }
}
