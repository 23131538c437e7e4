package io.losswatch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.losswatch.kafka.local.Directories;
import io.losswatch.kafka.local.EmbeddedKafka;
import io.losswatch.testsupport.KafkaBrokerExtension;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Runs {@code BrokerCommand} as a user does: its own JVM, stopped with SIGTERM. */
class BrokerCommandIT {

    private Path dir;
    private Process process;

    @BeforeEach
    void createDir() throws IOException {
        dir = Files.createTempDirectory(
                Files.createDirectories(KafkaBrokerExtension.testDataBase()), "broker-command-");
    }

    @AfterEach
    void stopProcessAndDeleteDir() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        Directories.deleteRecursively(dir);
    }

    @Test
    void shouldPrintBootstrapServersServeClientsAndStopCleanlyOnSigterm() throws Exception {
        int port = EmbeddedKafka.freePort();
        process = startBroker(
                "--port",
                String.valueOf(port),
                "--data-dir",
                dir.resolve("data").toString());
        List<String> stdout = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> stdoutClosed = CompletableFuture.runAsync(() -> readLines(process, stdout));

        await().alias("the broker prints its bootstrap line")
                .atMost(Duration.ofSeconds(60))
                .until(() -> !stdout.isEmpty() || !process.isAlive());
        assertThat(stdout)
                .as("stdout; stderr was: %s", stderr())
                .first()
                .isEqualTo("bootstrap.servers=127.0.0.1:" + port);

        try (Admin admin = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:" + port))) {
            assertThat(admin.describeCluster().nodes().get(10, TimeUnit.SECONDS))
                    .extracting(Node::port)
                    .containsExactly(port);
        }
        assertThat(Files.exists(dir.resolve("data/logs/meta.properties"))).isTrue();

        process.destroy(); // SIGTERM, as Ctrl-C or `kill` would send

        await().alias("the broker exits after SIGTERM")
                .atMost(Duration.ofSeconds(30))
                .until(() -> !process.isAlive());
        assertThat(process.exitValue()).isIn(0, 143);
        await().alias("stdout of the broker closes")
                .atMost(Duration.ofSeconds(5))
                .until(stdoutClosed::isDone);
        assertThat(stdout).as("stdout holds the bootstrap line only").hasSize(1);
        assertThat(stderr()).doesNotContain("Exception");
    }

    @Test
    void shouldExitWithTwoAndOneSentenceWhenThePortIsInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            process = startBroker("--port", String.valueOf(taken.getLocalPort()), "--data-dir", dir.toString());

            await().alias("the broker gives up").atMost(Duration.ofSeconds(30)).until(() -> !process.isAlive());

            assertThat(process.exitValue()).isEqualTo(2);
            List<String> errorLines = Files.readAllLines(stderrFile()).stream()
                    .filter(l -> !l.isBlank())
                    .toList();
            assertThat(errorLines).hasSize(1);
            assertThat(errorLines.get(0))
                    .contains("Port " + taken.getLocalPort(), "already in use", "--port")
                    .doesNotContain("Exception");
            assertThat(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isEmpty();
        }
    }

    private Process startBroker(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                BrokerCommand.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(stderrFile().toFile()).start();
    }

    private Path stderrFile() {
        return dir.resolve("stderr.log");
    }

    private String stderr() throws IOException {
        return Files.exists(stderrFile()) ? Files.readString(stderrFile()) : "";
    }

    private static void readLines(Process process, List<String> lines) {
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
