package io.losswatch.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus (Debian's {@code /usr/bin/prometheus}) run as a plain child process that scrapes
 * one monitor: what {@code demo --with-prometheus} starts and what the dashboard test queries. Its
 * job name is the one of {@code deploy/prometheus/prometheus.yml}, so the rules and dashboards work
 * unchanged.
 */
public final class LocalPrometheus implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/prometheus");
    public static final String JOB = "losswatch-monitor";

    private final Process process;
    private final int port;
    private final Path dir;

    private LocalPrometheus(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    public static boolean installed() {
        return Files.isExecutable(BINARY);
    }

    /**
     * Starts Prometheus on a free port of 127.0.0.1.
     *
     * @param dir config, data and log go here
     * @param target the monitor, host:port
     * @param ruleFiles rule files to evaluate (may be empty)
     * @param interval scrape and evaluation interval
     */
    public static LocalPrometheus start(Path dir, String target, List<Path> ruleFiles, Duration interval)
            throws IOException {
        Files.createDirectories(dir);
        String seconds = interval.toSeconds() + "s";
        StringBuilder yml = new StringBuilder()
                .append("global:\n")
                .append("  scrape_interval: ")
                .append(seconds)
                .append('\n')
                .append("  evaluation_interval: ")
                .append(seconds)
                .append('\n');
        if (!ruleFiles.isEmpty()) {
            yml.append("rule_files:\n");
            for (Path r : ruleFiles) {
                yml.append("  - '").append(r.toAbsolutePath()).append("'\n");
            }
        }
        yml.append("scrape_configs:\n")
                .append("  - job_name: ")
                .append(JOB)
                .append('\n')
                .append("    static_configs:\n")
                .append("      - targets: ['")
                .append(target)
                .append("']\n");
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, yml.toString(), StandardCharsets.UTF_8);
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(
                BINARY.toString(),
                "--config.file=" + config.toAbsolutePath(),
                "--storage.tsdb.path=" + dir.resolve("data").toAbsolutePath(),
                "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-lifecycle"));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("prometheus.log").toFile())
                .start();
        return new LocalPrometheus(p, port, dir);
    }

    /** Rule files of {@code deploy/prometheus/rules} in the repository holding {@code root}, if any. */
    public static List<Path> ruleFiles(Path root) {
        Path rules = root.resolve("deploy/prometheus/rules");
        if (!Files.isDirectory(rules)) {
            return List.of();
        }
        try (var s = Files.list(rules)) {
            return s.filter(f -> f.toString().endsWith(".yml")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public Path dir() {
        return dir;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until {@code /-/ready} answers 200; false on timeout or when the process exited. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && process.isAlive()) {
            try {
                HttpResponse<Void> r = http.send(
                        HttpRequest.newBuilder(URI.create(url() + "/-/ready"))
                                .timeout(Duration.ofSeconds(1))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return true;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** The last lines of Prometheus's own log, for an error message. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("prometheus.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "Prometheus at %s (pid %d)", url(), process.pid());
    }
}
