package io.losswatch.client.attach;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileFollowerTest {

    @TempDir
    Path dir;

    private final List<String> lines = new ArrayList<>();
    private final List<FileFollower.Restart> restarts = new ArrayList<>();
    private final FileFollower.Listener listener = new FileFollower.Listener() {
        @Override
        public void lines(List<String> l) {
            lines.addAll(l);
        }

        @Override
        public void restarted(FileFollower.Restart why) {
            restarts.add(why);
        }
    };

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void shouldHandOnOnlyCompleteLinesAsTheFileGrows() throws IOException {
        Path log = dir.resolve("log.csv");
        try (FileFollower f = new FileFollower(log, true, listener)) {
            assertThat(f.poll()).as("a missing file is waited for").isFalse();
            append(log, "a\nb");
            f.poll();
            assertThat(lines).containsExactly("a");
            append(log, "c\r\nd\n");
            f.poll();
            assertThat(lines).containsExactly("a", "bc", "d");
            assertThat(f.poll()).isFalse();
        }
        assertThat(restarts).isEmpty();
    }

    @Test
    void shouldFinishTheOldFileAndReadTheNewOneWhenTheLogIsRotated() throws IOException {
        Path log = dir.resolve("log.jsonl");
        append(log, "1\n");
        try (FileFollower f = new FileFollower(log, true, listener)) {
            f.poll();
            append(log, "2\n");
            Files.move(log, dir.resolve("log.jsonl.1"));
            f.poll();
            assertThat(lines)
                    .as("what was written before the rename is not lost")
                    .containsExactly("1", "2");
            append(log, "3\n");
            f.poll();
        }
        assertThat(lines).containsExactly("1", "2", "3");
        assertThat(restarts).containsExactly(FileFollower.Restart.ROTATED);
    }

    @Test
    void shouldStartAgainAtTheTopWhenTheFileIsTruncatedOrRewritten() throws IOException {
        Path log = dir.resolve("metrics.csv");
        append(log, "h1\nrow1\nrow2\n");
        try (FileFollower f = new FileFollower(log, true, listener)) {
            f.poll();
            Files.writeString(log, "h1\n");
            f.poll();
            assertThat(restarts).containsExactly(FileFollower.Restart.TRUNCATED);
            append(log, "row9\n");
            f.poll();
            assertThat(lines).containsExactly("h1", "row1", "row2", "h1", "row9");

            Files.writeString(log, "h2,new\nrow9,\nrow10,x\n");
            f.poll();
        }
        assertThat(restarts).containsExactly(FileFollower.Restart.TRUNCATED, FileFollower.Restart.REWRITTEN);
        assertThat(lines).endsWith("h2,new", "row9,", "row10,x");
    }

    @Test
    void shouldSkipWhatIsAlreadyThereWhenNotReadingFromTheBeginning() throws IOException {
        Path log = dir.resolve("log");
        append(log, "old\n");
        try (FileFollower f = new FileFollower(log, false, listener)) {
            f.poll();
            append(log, "new\n");
            f.poll();
        }
        assertThat(lines).containsExactly("new");
    }
}
