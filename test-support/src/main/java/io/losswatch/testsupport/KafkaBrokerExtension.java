package io.losswatch.testsupport;

import io.losswatch.kafka.local.Directories;
import io.losswatch.kafka.local.EmbeddedKafka;
import io.losswatch.kafka.local.RunningBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One real Kafka broker per test class:
 * <pre>{@code
 * @RegisterExtension
 * static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
 * }</pre>
 * The field must be static: the broker starts before the first test of the class and stops
 * after the last.
 *
 * <p>By default the broker is an {@link EmbeddedKafka} in the test JVM, its data under
 * {@code target/} when Maven runs the test (else under {@code java.io.tmpdir}), deleted afterwards.
 * With {@code LOSSWATCH_TEST_BROKER=testcontainers} (system property or environment variable),
 * Testcontainers on the test classpath ({@code org.testcontainers:testcontainers-kafka}) and a
 * Docker engine running, it is the official {@code apache/kafka} image in a container instead
 * ({@code LOSSWATCH_TEST_KAFKA_IMAGE} picks another image). Without Docker or Testcontainers the
 * in-process broker runs and a warning says why, so the same tests run everywhere.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {

    /** System property or environment variable: {@code embedded} (default) or {@code testcontainers}. */
    public static final String BROKER_SELECTOR = "LOSSWATCH_TEST_BROKER";
    /** System property or environment variable: the Docker image for the Testcontainers broker. */
    public static final String IMAGE_SELECTOR = "LOSSWATCH_TEST_KAFKA_IMAGE";

    public static final String DEFAULT_IMAGE = "apache/kafka:4.1.0";

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerExtension.class);
    private static final String TESTCONTAINERS_CLASS = "org.testcontainers.kafka.KafkaContainer";

    enum Backend {
        EMBEDDED,
        TESTCONTAINERS
    }

    private final EmbeddedKafka.Config config;
    private final Backend forced;
    private RunningBroker broker;
    /** Nested test classes inherit the extension; only the outermost class starts and stops the broker. */
    private int depth;

    /** An in-process broker on a free port (or a container, see the class comment). */
    public KafkaBrokerExtension() {
        this(EmbeddedKafka.Config.defaults());
    }

    /**
     * @param config settings for the in-process broker; a null data dir means one under
     *               {@code target/} that is deleted after the class. Ignored for a container.
     */
    public KafkaBrokerExtension(EmbeddedKafka.Config config) {
        this(config, null);
    }

    KafkaBrokerExtension(EmbeddedKafka.Config config, Backend forced) {
        this.config = config;
        this.forced = forced;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (depth++ > 0) {
            return;
        }
        try {
            broker = startBroker(context.getRequiredTestClass().getSimpleName());
        } catch (RuntimeException | Error e) {
            depth = 0;
            throw e;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (--depth > 0 || broker == null) {
            return;
        }
        try {
            broker.close();
        } finally {
            broker = null;
        }
    }

    /** The address for clients, {@code host:port}. */
    public String bootstrapServers() {
        return running().bootstrapServers();
    }

    /** Creates a topic with replication factor 1 and waits until it has leaders; existing topics are fine. */
    public void createTopic(String name, int partitions) {
        running().createTopics(Map.of(name, partitions));
    }

    /** The in-process broker (to stop and restart it, say), or null when the broker runs in a container. */
    public EmbeddedKafka broker() {
        return running().embedded();
    }

    private RunningBroker running() {
        if (broker == null) {
            throw new IllegalStateException("KafkaBrokerExtension has no broker outside a test class run: "
                    + "register it on a static field with @RegisterExtension");
        }
        return broker;
    }

    private RunningBroker startBroker(String testClass) {
        Backend backend = forced != null ? forced : requestedBackend(setting(BROKER_SELECTOR));
        if (backend == Backend.TESTCONTAINERS) {
            String whyNot = testcontainersUnavailableReason();
            if (whyNot == null) {
                String image = setting(IMAGE_SELECTOR);
                return TestcontainersBroker.start(image == null || image.isBlank() ? DEFAULT_IMAGE : image);
            }
            LOG.warn("{}=testcontainers, but {}: using the in-process Kafka broker", BROKER_SELECTOR, whyNot);
        }
        return startEmbedded(testClass);
    }

    private RunningBroker startEmbedded(String testClass) {
        if (config.dataDir() != null) {
            EmbeddedKafka kafka = EmbeddedKafka.start(config);
            return RunningBroker.of(kafka, () -> {});
        }
        Path dir;
        try {
            Path base = testDataBase();
            Files.createDirectories(base);
            dir = Files.createTempDirectory(base, testClass + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a data dir for the test broker", e);
        }
        try {
            EmbeddedKafka kafka = EmbeddedKafka.start(config.withDataDir(dir));
            return RunningBroker.of(kafka, () -> Directories.deleteRecursively(dir));
        } catch (RuntimeException | Error e) {
            Directories.deleteRecursively(dir);
            throw e;
        }
    }

    /** {@code target/kafka-local-test} of the module under test when there is one, else the temp dir. */
    public static Path testDataBase() {
        String basedir = System.getProperty("basedir"); // set by surefire and failsafe
        Path target = basedir != null ? Path.of(basedir, "target") : Path.of("target");
        if (Files.isDirectory(target)) {
            return target.toAbsolutePath().resolve("kafka-local-test");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "losswatch-kafka-test");
    }

    static Backend requestedBackend(String value) {
        if (value == null || value.isBlank()) {
            return Backend.EMBEDDED;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "embedded", "in-process" -> Backend.EMBEDDED;
            case "testcontainers" -> Backend.TESTCONTAINERS;
            default ->
                throw new IllegalArgumentException(BROKER_SELECTOR + "=" + value
                        + " is not a test broker: use 'embedded' (the default) or 'testcontainers'");
        };
    }

    /** Null when a container broker can start, else the reason it cannot. */
    static String testcontainersUnavailableReason() {
        try {
            Class.forName(TESTCONTAINERS_CLASS, false, KafkaBrokerExtension.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return "org.testcontainers:testcontainers-kafka is not on the test classpath";
        }
        return TestcontainersBroker.dockerAvailable() ? null : "no Docker engine is available";
    }

    private static String setting(String name) {
        String value = System.getProperty(name);
        return value != null ? value : System.getenv(name);
    }
}
