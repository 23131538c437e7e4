package io.losswatch.systemtests.reliability;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** `losswatch monitor` as a JVM of its own, so a test can kill it like an operating system would. */
final class MonitorProcess implements AutoCloseable {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final int httpPort;
    final Path log;

    private MonitorProcess(Process process, int httpPort, Path log) {
        this.process = process;
        this.httpPort = httpPort;
        this.log = log;
    }

    static MonitorProcess start(Path log, String... args) throws IOException {
        return start(log, java.util.Map.of(), args);
    }

    static MonitorProcess start(Path log, java.util.Map<String, String> env, String... args) throws IOException {
        return start(log, "256m", env, args);
    }

    static MonitorProcess start(Path log, String heap, java.util.Map<String, String> env, String... args)
            throws IOException {
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap,
                "-cp",
                System.getProperty("java.class.path"),
                "io.losswatch.cli.MonitorCommand",
                "--http-host",
                "127.0.0.1",
                "--http-port",
                Integer.toString(port)));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        Process p = pb.start();
        return new MonitorProcess(p, port, log);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    MonitorProcess awaitHealthy(Duration within) {
        await().alias("monitor process answers /health with 200 (log: " + log + ")")
                .atMost(within)
                .pollInterval(Duration.ofMillis(250))
                .ignoreExceptions()
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("monitor process exited with " + process.exitValue());
                    }
                    return get("/health").statusCode() == 200;
                });
        return this;
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value of one series on /metrics, if present. */
    OptionalDouble metric(String nameAndLabels) {
        try {
            Matcher m = Pattern.compile("(?m)^" + Pattern.quote(nameAndLabels) + " (\\S+)$")
                    .matcher(get("/metrics").body());
            return m.find() ? OptionalDouble.of(Double.parseDouble(m.group(1))) : OptionalDouble.empty();
        } catch (IOException e) {
            return OptionalDouble.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalDouble.empty();
        }
    }

    long pid() {
        return process.pid();
    }

    int waitForExit(Duration within) throws InterruptedException {
        if (!process.waitFor(within.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            throw new AssertionError("monitor process still running after " + within);
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook, no commit, no flush; what a crash or the OOM killer does. */
    void kill() throws Exception {
        Process k = new ProcessBuilder("kill", "-KILL", Long.toString(process.pid()))
                .inheritIO()
                .start();
        k.waitFor();
        process.waitFor();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
