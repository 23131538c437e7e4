package io.losswatch.cli;

import io.losswatch.kafka.local.DataDirLock;
import io.losswatch.kafka.local.EmbeddedKafka;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code losswatch broker}: a real single-node Kafka broker in the foreground until Ctrl-C.
 *
 * <p>Once clients can connect it prints exactly one line to stdout,
 * {@code bootstrap.servers=127.0.0.1:PORT}, so a script can read the address. Kafka's own
 * logging goes wherever the logging configuration sends it (the launcher sends it to stderr).
 */
@Command(
        name = "broker",
        mixinStandardHelpOptions = true,
        versionProvider = BrokerCommand.KafkaVersion.class,
        description = "Runs a single-node Apache Kafka broker (KRaft) on 127.0.0.1 in the foreground "
                + "until Ctrl-C. Topics and records are kept in the data directory across restarts.")
public final class BrokerCommand implements Callable<Integer> {

    /** Exit code for a problem the user can fix: a port or data dir in use, a data dir that cannot be written. */
    public static final int EXIT_USAGE = 2;
    /** Exit code when the broker fails to start for another reason. */
    public static final int EXIT_FAILED = 1;

    @Option(
            names = "--port",
            defaultValue = "9092",
            paramLabel = "PORT",
            description = "Client port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 picks a free port).")
    int port;

    @Option(
            names = "--data-dir",
            defaultValue = "./.losswatch/broker",
            paramLabel = "DIR",
            description = "Where Kafka keeps its data; created if missing (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new BrokerCommand()).execute(args));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        String problem = checkPort();
        if (problem == null) {
            problem = checkDataDir();
        }
        if (problem != null) {
            err.println(problem);
            err.flush();
            return EXIT_USAGE;
        }

        EmbeddedKafka kafka;
        try {
            kafka = EmbeddedKafka.start(
                    EmbeddedKafka.Config.defaults().withPort(port).withDataDir(dataDir));
        } catch (RuntimeException e) {
            err.println("The broker did not start: " + EmbeddedKafka.rootMessage(e) + ".");
            err.flush();
            return EXIT_FAILED;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            kafka.close();
                            stopped.countDown();
                        },
                        "losswatch-broker-shutdown"));

        out.println("bootstrap.servers=" + kafka.bootstrapServers());
        out.flush();

        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kafka.close();
        }
        return 0;
    }

    private String checkPort() {
        if (port < 0 || port > 65_535) {
            return "--port " + port + " is not a port: use 1-65535, or 0 for any free port.";
        }
        if (port != 0 && !EmbeddedKafka.isPortFree(port)) {
            return "Port " + port + " on 127.0.0.1 is already in use (is another broker running?): "
                    + "stop what uses it or choose another port with --port.";
        }
        return null;
    }

    private String checkDataDir() {
        Path dir = dataDir.toAbsolutePath().normalize();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            return "Data directory " + dir + " is a file, not a directory: choose another with --data-dir.";
        }
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".write-check", ".tmp"));
        } catch (IOException e) {
            return "Cannot write to data directory " + dir + ": choose another with --data-dir or make it writable.";
        }
        if (!DataDirLock.isFree(dir)) {
            return "Data directory " + dir + " is in use by another broker: stop that broker "
                    + "or choose another directory with --data-dir.";
        }
        return null;
    }

    /** {@code --version}: the Kafka version this broker runs. */
    static final class KafkaVersion implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            // the file kafka-clients itself reads its version from; its reader is not public API
            Properties kafka = new Properties();
            try (InputStream in = BrokerCommand.class.getResourceAsStream("/kafka/kafka-version.properties")) {
                if (in != null) {
                    kafka.load(in);
                }
            }
            return new String[] {
                "losswatch " + Main.Version.version() + ", Apache Kafka "
                        + kafka.getProperty("version", "(unknown version)") + " (KRaft, single node)"
            };
        }
    }
}
