package io.losswatch.kafka.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool$;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Apache Kafka broker (KRaft, combined broker and controller) running inside
 * this JVM from the Kafka jars: the embedded default of {@code losswatch monitor} and
 * {@code losswatch broker}, and the broker behind the test-support module's {@code KafkaBrokerExtension}.
 *
 * <p>One file: the broker's configuration, storage format, start and stop depend on each other's
 * decisions, which are written down here together.
 *
 * <p>Decisions worth knowing:
 * <ul>
 *   <li><b>Listeners.</b> Clients connect to {@code 127.0.0.1:port} (PLAINTEXT); port 0 picks a free
 *       port. The controller listens on another free loopback port, chosen anew on every start.
 *   <li><b>Quorum.</b> The single controller is a <em>static</em> voter ({@code controller.quorum.voters}),
 *       so nothing in the data dir remembers the controller's address and a restart on a new
 *       controller port just works. (A dynamic quorum formatted with {@code --standalone} records
 *       the voter's endpoint in the metadata log.)
 *   <li><b>Storage.</b> Kafka's log dir is {@code dataDir/logs}. It is formatted (a new cluster id)
 *       only when it has no {@code meta.properties} yet; a started-before dir keeps its cluster,
 *       topics and records. One broker at a time per data dir: a lock file
 *       ({@code dataDir/.losswatch-broker.lock}) turns a second one away.
 *   <li><b>No topic auto-creation</b> ({@code auto.create.topics.enable=false}): a topic exists
 *       because someone created it with the partition count they chose, as the monitor does for
 *       its topics; a typo in a topic name fails loudly instead of creating a one-partition topic.
 *       Override with {@link Config#withBrokerProperty(String, String)} if you want Kafka's default.
 *   <li><b>Light on a small machine:</b> two network and two I/O threads, five partitions for the
 *       internal offsets, transaction and share-state topics, a 16 MiB log-cleaner buffer. Internal
 *       topics have replication factor 1 and transactions need only one in-sync replica, so
 *       idempotent and transactional producers and Kafka Streams {@code exactly_once_v2} work.
 * </ul>
 *
 * <p>Kafka logs through SLF4J 1.7; whoever runs this chooses the binding and levels
 * ({@code kafka} and {@code org.apache} at WARN keep it quiet).
 *
 * <p>A fatal fault in the KRaft metadata layer makes Kafka halt the JVM, as a stand-alone broker
 * would; this is a real broker, not a mock.
 */
public final class EmbeddedKafka implements AutoCloseable {

    /** How long {@link #start} waits for the broker to answer an admin request. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private static final int START_ATTEMPTS = 3;
    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    /** Kafka's own tools default to this; SCRAM-SHA-512 needs at least 4096. */
    private static final int SCRAM_ITERATIONS = 8192;

    /**
     * What to start.
     *
     * @param port              the client port on 127.0.0.1; 0 picks a free one
     * @param dataDir           where Kafka keeps its data; {@code null} means a temporary directory
     *                          that {@link #close()} deletes
     * @param brokerProperties  extra or overriding Kafka broker settings
     * @param saslUsers         empty: the client listener is PLAINTEXT; otherwise it is SASL_PLAINTEXT
     *                          with {@code saslMechanism} and these users (name to password), and only
     *                          they get in; the first user is the one the broker itself uses
     * @param saslMechanism     {@value #PLAIN} or {@value #SCRAM_SHA_512}; ignored without users
     */
    public record Config(
            int port,
            Path dataDir,
            Map<String, String> brokerProperties,
            Map<String, String> saslUsers,
            String saslMechanism) {

        public static final String PLAIN = "PLAIN";
        public static final String SCRAM_SHA_512 = "SCRAM-SHA-512";

        public Config {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be 0 (any free port) or 1-65535, got " + port);
            }
            brokerProperties = Map.copyOf(brokerProperties);
            saslUsers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(saslUsers));
            for (String user : saslUsers.keySet()) {
                if (!user.matches("[A-Za-z0-9._-]+")) {
                    throw new IllegalArgumentException(
                            "SASL user names are letters, digits, '.', '_' and '-', got " + user);
                }
            }
            if (!PLAIN.equals(saslMechanism) && !SCRAM_SHA_512.equals(saslMechanism)) {
                throw new IllegalArgumentException(
                        "SASL mechanism must be " + PLAIN + " or " + SCRAM_SHA_512 + ", got " + saslMechanism);
            }
        }

        public Config(int port, Path dataDir, Map<String, String> brokerProperties, Map<String, String> saslUsers) {
            this(port, dataDir, brokerProperties, saslUsers, PLAIN);
        }

        public Config(int port, Path dataDir, Map<String, String> brokerProperties) {
            this(port, dataDir, brokerProperties, Map.of());
        }

        /** A free port, a temporary data dir, Kafka settings as {@link EmbeddedKafka} chooses them. */
        public static Config defaults() {
            return new Config(0, null, Map.of());
        }

        public Config withPort(int newPort) {
            return new Config(newPort, dataDir, brokerProperties, saslUsers, saslMechanism);
        }

        public Config withDataDir(Path newDataDir) {
            return new Config(port, newDataDir, brokerProperties, saslUsers, saslMechanism);
        }

        public Config withBrokerProperty(String key, String value) {
            Map<String, String> merged = new LinkedHashMap<>(brokerProperties);
            merged.put(key, value);
            return new Config(port, dataDir, merged, saslUsers, saslMechanism);
        }

        /**
         * Requires SASL PLAIN authentication from every client: only these users (name to password)
         * get in. The first is also the user the broker and its own admin client connect as.
         */
        public Config withSaslPlain(Map<String, String> users) {
            return withSasl(PLAIN, users);
        }

        /**
         * Requires SASL SCRAM-SHA-512 authentication from every client: only these users (name to
         * password) get in. The first is also the user the broker and its own admin client connect as.
         * Unlike PLAIN, the broker keeps only salted hashes, in its metadata log: a data dir that exists
         * already keeps the users it has and gets these added or updated at start.
         */
        public Config withSaslScram(Map<String, String> users) {
            return withSasl(SCRAM_SHA_512, users);
        }

        private Config withSasl(String mechanism, Map<String, String> users) {
            if (users.isEmpty()) {
                throw new IllegalArgumentException("SASL needs at least one user");
            }
            return new Config(port, dataDir, brokerProperties, users, mechanism);
        }

        public boolean sasl() {
            return !saslUsers.isEmpty();
        }

        /**
         * Puts TLS under SASL (listener SASL_SSL): the broker presents the key in {@code keystore}
         * (PKCS12, for 127.0.0.1) and trusts {@code truststore}, both opened with {@code password}.
         * Needs {@link #withSaslPlain} or {@link #withSaslScram}.
         */
        public Config withTls(Path keystore, Path truststore, String password) {
            return withBrokerProperty(
                            "ssl.keystore.location", keystore.toAbsolutePath().toString())
                    .withBrokerProperty("ssl.keystore.type", "PKCS12")
                    .withBrokerProperty("ssl.keystore.password", password)
                    .withBrokerProperty("ssl.key.password", password)
                    .withBrokerProperty(
                            "ssl.truststore.location",
                            truststore.toAbsolutePath().toString())
                    .withBrokerProperty("ssl.truststore.type", "PKCS12")
                    .withBrokerProperty("ssl.truststore.password", password);
        }

        public boolean tls() {
            return brokerProperties.containsKey("ssl.keystore.location");
        }

        /** The client listener's security protocol. */
        String securityProtocol() {
            return !sasl() ? "PLAINTEXT" : tls() ? "SASL_SSL" : "SASL_PLAINTEXT";
        }
    }

    private final KafkaRaftServer server;
    private final int port;
    private final Path dataDir;
    private final boolean deleteDataDirOnClose;
    private final DataDirLock lock;
    private final Admin admin;
    private boolean closed;

    private EmbeddedKafka(
            KafkaRaftServer server,
            int port,
            Path dataDir,
            boolean deleteDataDirOnClose,
            DataDirLock lock,
            Map<String, String> clientSecurity) {
        this.server = server;
        this.lock = lock;
        this.port = port;
        this.dataDir = dataDir;
        this.deleteDataDirOnClose = deleteDataDirOnClose;
        Map<String, Object> adminConfig = new LinkedHashMap<>(clientSecurity);
        adminConfig.put("bootstrap.servers", HOST + ":" + port);
        adminConfig.put("client.id", "losswatch-embedded-kafka-admin");
        this.admin = Admin.create(adminConfig);
    }

    /**
     * The client settings a user of a SASL broker passes to any Kafka client (as {@code --kafka k=v}
     * or {@code LOSSWATCH_KAFKA_*}); empty for a PLAINTEXT broker.
     */
    public static Map<String, String> saslClientSettings(String user, String password) {
        return Map.of(
                "security.protocol",
                "SASL_PLAINTEXT",
                "sasl.mechanism",
                "PLAIN",
                "sasl.jaas.config",
                plainLogin(user, password, Map.of()));
    }

    /**
     * The settings a client of this broker passes (as {@code --kafka k=v} or {@code LOSSWATCH_KAFKA_*}):
     * the broker's SASL mechanism with this user, and over TLS the broker's truststore.
     */
    public static Map<String, String> clientSettings(Config config, String user, String password) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("security.protocol", config.securityProtocol());
        c.put("sasl.mechanism", config.saslMechanism());
        c.put(
                "sasl.jaas.config",
                config.saslMechanism().equals(Config.PLAIN)
                        ? plainLogin(user, password, Map.of())
                        : scramLogin(user, password));
        if (config.tls()) {
            for (String k :
                    new String[] {"ssl.truststore.location", "ssl.truststore.type", "ssl.truststore.password"}) {
                c.put(k, config.brokerProperties().get(k));
            }
        }
        return c;
    }

    private static String plainLogin(String user, String password, Map<String, String> users) {
        StringBuilder s = new StringBuilder(
                        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"")
                .append(escapeJaas(user))
                .append("\" password=\"")
                .append(escapeJaas(password))
                .append('"');
        users.forEach((u, pw) -> s.append(" user_")
                .append(u)
                .append("=\"")
                .append(escapeJaas(pw))
                .append('"'));
        return s.append(';').toString();
    }

    private static String scramLogin(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + escapeJaas(user)
                + "\" password=\"" + escapeJaas(password) + "\";";
    }

    private static String escapeJaas(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /**
     * Starts a broker and returns once it answers admin requests.
     *
     * @throws IllegalStateException if the port is taken, the data dir cannot be used, or Kafka
     *                               does not come up; the message says which
     */
    public static EmbeddedKafka start(Config config) {
        boolean tempDir = config.dataDir() == null;
        Path dataDir = tempDir ? createTempDir() : prepareDataDir(config.dataDir());
        DataDirLock lock = null;
        try {
            lock = DataDirLock.acquire(dataDir);
            return startOn(config, dataDir, tempDir, lock);
        } catch (RuntimeException | Error e) {
            if (lock != null) {
                lock.close();
            }
            if (tempDir) {
                Directories.deleteRecursively(dataDir);
            }
            throw e;
        }
    }

    private static EmbeddedKafka startOn(Config config, Path dataDir, boolean tempDir, DataDirLock lock) {
        boolean formatted = false;
        for (int attempt = 1; ; attempt++) {
            int port = config.port() == 0 ? freePort() : requireFreePort(config.port());
            Properties props = brokerProperties(config, dataDir, port, freePort());
            formatted |= formatIfNew(config, props, dataDir);
            KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props), Time.SYSTEM);
            try {
                server.startup();
            } catch (RuntimeException e) {
                stopQuietly(server);
                // A free port picked a moment ago can be taken by someone else before Kafka binds it.
                if (isBindFailure(e) && attempt < START_ATTEMPTS) {
                    continue;
                }
                throw new IllegalStateException(
                        "Kafka did not start on " + HOST + ":" + port + " with data dir " + dataDir + ": "
                                + rootMessage(e),
                        e);
            }
            Map<String, String> clientSecurity = Map.of();
            if (config.sasl()) {
                Map.Entry<String, String> self =
                        config.saslUsers().entrySet().iterator().next();
                clientSecurity = clientSettings(config, self.getKey(), self.getValue());
            }
            EmbeddedKafka kafka = new EmbeddedKafka(server, port, dataDir, tempDir, lock, clientSecurity);
            try {
                kafka.awaitReady();
                if (!formatted && config.sasl() && config.saslMechanism().equals(Config.SCRAM_SHA_512)) {
                    kafka.upsertScramUsers(config);
                }
            } catch (RuntimeException e) {
                kafka.admin.close(Duration.ofSeconds(5));
                stopQuietly(server);
                throw e;
            }
            return kafka;
        }
    }

    /** The address clients use: {@code 127.0.0.1:PORT}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Creates the topic with replication factor 1; an existing topic is left as it is. */
    public void createTopic(String name, int partitions) {
        createTopics(Map.of(name, partitions));
    }

    /** Creates the topics (name to partition count); existing ones are left as they are. */
    public synchronized void createTopics(Map<String, Integer> partitionsByTopic) {
        if (closed) {
            throw new IllegalStateException("the broker on " + bootstrapServers() + " is closed");
        }
        Topics.create(admin, partitionsByTopic, READY_TIMEOUT);
    }

    /** Stops the broker and waits until it has stopped; deletes the data dir if it was temporary. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        admin.close(Duration.ofSeconds(5));
        stopQuietly(server);
        lock.close();
        if (deleteDataDirOnClose) {
            Directories.deleteRecursively(dataDir);
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafka[" + bootstrapServers() + ", " + dataDir + "]";
    }

    private void awaitReady() {
        awaitAnswer(admin, "ready");
    }

    /** Waits until {@code client} gets an answer listing a live broker. */
    private void awaitAnswer(Admin client, String what) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            try {
                if (!client.describeCluster(new DescribeClusterOptions().timeoutMs(5_000))
                        .nodes()
                        .get()
                        .isEmpty()) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(
                        "interrupted while waiting for Kafka on " + bootstrapServers() + " (" + what + ")", e);
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "Kafka on " + bootstrapServers() + " did not answer within " + READY_TIMEOUT.toSeconds()
                                    + " s (" + what + "): " + rootMessage(e),
                            e);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Kafka on " + bootstrapServers() + " reported no live broker within "
                        + READY_TIMEOUT.toSeconds() + " s");
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
    }

    static Properties brokerProperties(Config config, Path dataDir, int port, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir(dataDir).toString());
        if (config.sasl()) {
            // clients and the broker itself authenticate; the controller listener stays on loopback only
            String protocol = config.securityProtocol();
            p.put("listeners", protocol + "://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
            p.put("advertised.listeners", protocol + "://" + HOST + ":" + port);
            p.put("listener.security.protocol.map", protocol + ":" + protocol + ",CONTROLLER:PLAINTEXT");
            p.put("inter.broker.listener.name", protocol);
            String mechanism = config.saslMechanism();
            p.put("sasl.enabled.mechanisms", mechanism);
            p.put("sasl.mechanism.inter.broker.protocol", mechanism);
            Map.Entry<String, String> self =
                    config.saslUsers().entrySet().iterator().next();
            // PLAIN checks passwords against this line; SCRAM against the metadata log, so only the broker's own login
            p.put(
                    "listener.name." + protocol.toLowerCase(Locale.ROOT) + "." + mechanism.toLowerCase(Locale.ROOT)
                            + ".sasl.jaas.config",
                    mechanism.equals(Config.PLAIN)
                            ? plainLogin(self.getKey(), self.getValue(), config.saslUsers())
                            : scramLogin(self.getKey(), self.getValue()));
        }

        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("share.coordinator.state.topic.num.partitions", "5");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");

        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024));

        p.putAll(config.brokerProperties());
        return p;
    }

    private static Path logDir(Path dataDir) {
        return dataDir.resolve("logs");
    }

    /**
     * Formats a new data dir; one that holds a cluster already is left alone.
     *
     * @return true when it formatted: with SCRAM, the users are then in the metadata log from the first record on
     */
    private static boolean formatIfNew(Config config, Properties props, Path dataDir) {
        if (Files.exists(logDir(dataDir).resolve("meta.properties"))) {
            return false;
        }
        Path configFile = dataDir.resolve("format.properties");
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exitCode;
        try {
            try (Writer w = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8)) {
                props.store(w, "written by losswatch to format the Kafka storage; safe to delete");
            }
            List<String> args =
                    new ArrayList<>(List.of("format", "-t", Uuid.randomUuid().toString(), "-c", configFile.toString()));
            if (config.sasl() && config.saslMechanism().equals(Config.SCRAM_SHA_512)) {
                config.saslUsers()
                        .forEach((user, password) ->
                                args.addAll(List.of("--add-scram", scramFormatArgument(user, password))));
            }
            try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
                exitCode = StorageTool$.MODULE$.execute(args.toArray(String[]::new), out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to Kafka data dir " + dataDir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("formatting Kafka storage in " + dataDir + " failed: " + rootMessage(e), e);
        } finally {
            try {
                Files.deleteIfExists(configFile);
            } catch (IOException ignored) {
                // a leftover file does no harm; the next format overwrites it
            }
        }
        if (exitCode != 0) {
            throw new IllegalStateException("formatting Kafka storage in " + dataDir + " failed (exit " + exitCode
                    + "): " + output.toString(StandardCharsets.UTF_8).strip());
        }
        return true;
    }

    /**
     * A SCRAM user for the storage tool's {@code --add-scram}, salted here: its parser splits on commas
     * and would misread a password that holds one, while base64 never does.
     */
    static String scramFormatArgument(String user, String password) {
        byte[] salt = new byte[32];
        new SecureRandom().nextBytes(salt);
        byte[] salted;
        try {
            // RFC 5802's Hi() is PBKDF2 with the mechanism's HMAC, over the password's UTF-8 bytes
            salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, SCRAM_ITERATIONS, 512))
                    .getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot compute SCRAM-SHA-512 credentials: " + e.getMessage(), e);
        }
        Base64.Encoder b64 = Base64.getEncoder();
        return Config.SCRAM_SHA_512 + "=[name=" + user + ",iterations=" + SCRAM_ITERATIONS + ",salt=\""
                + b64.encodeToString(salt) + "\",saltedpassword=\"" + b64.encodeToString(salted) + "\"]";
    }

    /**
     * Adds or updates the SCRAM users of a data dir formatted before, and waits until each can log in:
     * the broker learns credentials from its metadata log a moment after the controller commits them.
     */
    private void upsertScramUsers(Config config) {
        List<UserScramCredentialAlteration> upserts = new ArrayList<>();
        config.saslUsers()
                .forEach((user, password) -> upserts.add(new UserScramCredentialUpsertion(
                        user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS), password)));
        try {
            admin.alterUserScramCredentials(upserts).all().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(
                    "Kafka on " + bootstrapServers() + " did not take the SCRAM users: " + rootMessage(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(
                    "interrupted while adding SCRAM users to Kafka on " + bootstrapServers(), e);
        }
        config.saslUsers().forEach((user, password) -> {
            Map<String, Object> c = new LinkedHashMap<>(clientSettings(config, user, password));
            c.put("bootstrap.servers", bootstrapServers());
            c.put("client.id", "losswatch-embedded-kafka-scram-check");
            try (Admin as = Admin.create(c)) {
                awaitAnswer(as, "user " + user + " can log in");
            }
        });
    }

    private static Path createTempDir() {
        try {
            return Files.createTempDirectory("losswatch-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for Kafka: " + e.getMessage(), e);
        }
    }

    private static Path prepareDataDir(Path dir) {
        Path absolute = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(absolute);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create Kafka data dir " + absolute + ": " + describe(e), e);
        }
        if (!Files.isWritable(absolute)) {
            throw new IllegalStateException("Kafka data dir " + absolute + " is not writable");
        }
        return absolute;
    }

    /** A port on 127.0.0.1 that nobody listens on right now. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + HOST, e);
        }
    }

    /** True when a server could bind {@code 127.0.0.1:port} now. */
    public static boolean isPortFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int requireFreePort(int port) {
        if (!isPortFree(port)) {
            throw new IllegalStateException("port " + port + " on " + HOST + " is already in use");
        }
        return port;
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException
                    || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }

    private static void stopQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException ignored) {
            // stopping a broker that failed half-way through its start may trip over missing parts
        }
    }

    public static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return describe(root);
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        String type = e.getClass().getSimpleName();
        if (e instanceof java.nio.file.FileSystemException) {
            return type.replace("Exception", "")
                            .replaceAll("([a-z])([A-Z])", "$1 $2")
                            .toLowerCase() + " " + message;
        }
        return message == null ? type : message;
    }
}
