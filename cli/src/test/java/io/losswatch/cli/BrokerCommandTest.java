package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.kafka.local.DataDirLock;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BrokerCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return new CommandLine(new BrokerCommand())
                .setOut(new PrintWriter(out))
                .setErr(new PrintWriter(err))
                .execute(args);
    }

    @Test
    void shouldDescribeItsOptionsInHelp() {
        assertThat(run("--help")).isZero();

        assertThat(out.toString()).contains("broker", "--port", "9092", "--data-dir", "./.losswatch/broker");
    }

    @Test
    void shouldExitWithTwoAndOneSentenceWhenTheDataDirIsAFile(@TempDir Path tmp) throws IOException {
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");

        assertThat(run("--port", "0", "--data-dir", file.toString())).isEqualTo(2);

        assertThat(err.toString().strip())
                .isEqualTo("Data directory " + file + " is a file, not a directory: choose another with --data-dir.");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void shouldExitWithTwoWhenAnotherBrokerUsesTheDataDir(@TempDir Path dir) {
        DataDirLock otherBroker = DataDirLock.acquire(dir);
        try {
            assertThat(run("--port", "0", "--data-dir", dir.toString())).isEqualTo(2);
        } finally {
            otherBroker.close();
        }

        assertThat(err.toString().strip())
                .isEqualTo(
                        "Data directory " + dir
                                + " is in use by another broker: stop that broker or choose another directory with --data-dir.");
    }

    @Test
    void shouldTellTheKafkaVersion() {
        assertThat(run("--version")).isZero();

        assertThat(out.toString()).startsWith("losswatch ").contains("Apache Kafka 4.4.0");
    }

    @Test
    void shouldExitWithTwoWhenThePortIsNotAPort() {
        assertThat(run("--port", "70000")).isEqualTo(2);

        assertThat(err.toString().strip())
                .isEqualTo("--port 70000 is not a port: use 1-65535, or 0 for any free port.");
    }
}
