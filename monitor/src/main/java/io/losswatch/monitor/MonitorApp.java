package io.losswatch.monitor;

import io.losswatch.events.KafkaPreflight;
import io.losswatch.events.StartupException;
import io.losswatch.notify.BrokerWatch;
import io.losswatch.notify.ServiceHttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.BindException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running monitor: the Streams client, its meters and its HTTP endpoint. */
public final class MonitorApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorApp.class);

    /**
     * @param createTopics create missing topics with {@code partitions} partitions
     * @param httpPort 0 picks a free port; -1 disables HTTP
     * @param stallAfter how long step records may wait with nothing committed before {@code /health} says 503
     */
    public record Options(
            String httpHost,
            int httpPort,
            boolean createTopics,
            int partitions,
            int preflightSeconds,
            Duration stallAfter) {

        /**
         * Long enough for a commit under any load seen (the commit interval is 100 ms), short enough for a
         * readiness probe to take a stuck instance out within a minute or two.
         */
        public static final Duration DEFAULT_STALL_AFTER = Duration.ofSeconds(60);

        public Options(String httpHost, int httpPort, boolean createTopics, int partitions, int preflightSeconds) {
            this(httpHost, httpPort, createTopics, partitions, preflightSeconds, DEFAULT_STALL_AFTER);
        }

        public static Options defaults() {
            return new Options("0.0.0.0", 9400, true, 1, 10);
        }

        public Options withHttp(String host, int port) {
            return new Options(host, port, createTopics, partitions, preflightSeconds, stallAfter);
        }

        public Options withStallAfter(Duration d) {
            return new Options(httpHost, httpPort, createTopics, partitions, preflightSeconds, d);
        }
    }

    private final MonitorConfig config;
    private final PrometheusMeterRegistry registry;
    private final LosswatchMetrics metrics;
    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final ServiceHttpServer http;
    private final BrokerWatch broker;

    private MonitorApp(
            MonitorConfig config,
            PrometheusMeterRegistry registry,
            LosswatchMetrics metrics,
            KafkaStreams streams,
            KafkaStreamsMetrics streamsMetrics,
            ServiceHttpServer http,
            BrokerWatch broker) {
        this.broker = broker;
        this.config = config;
        this.registry = registry;
        this.metrics = metrics;
        this.streams = streams;
        this.streamsMetrics = streamsMetrics;
        this.http = http;
    }

    public static MonitorApp start(MonitorConfig config, Options options) throws StartupException {
        Map<String, Integer> create = new LinkedHashMap<>();
        if (options.createTopics()) {
            create.put(config.metricsTopic(), options.partitions());
            create.put(config.alertsTopic(), options.partitions());
            create.put(config.dlqTopic(), options.partitions());
        }
        Set<String> mustExist = options.createTopics()
                ? Set.of()
                : Set.of(config.metricsTopic(), config.alertsTopic(), config.dlqTopic());
        KafkaPreflight.check(config.bootstrapServers(), config.kafka(), create, mustExist, options.preflightSeconds());

        StateDirLock.checkFree(config.stateDir(), config.applicationId());

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        LosswatchMetrics metrics = new LosswatchMetrics(registry);

        KafkaStreams streams =
                new KafkaStreams(MonitorTopology.build(config, metrics, Clock.systemUTC()), config.streamsProperties());
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed, replacing it: {}", e.toString(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);

        BrokerWatch broker = BrokerWatch.start("monitor", config.bootstrapServers(), config.kafka())
                .watchProgress(config.applicationId(), config.metricsTopic(), options.stallAfter());
        ServiceHttpServer http = null;
        if (options.httpPort() >= 0) {
            try {
                http = new ServiceHttpServer(
                        options.httpHost(),
                        options.httpPort(),
                        registry,
                        () -> streams.state() == KafkaStreams.State.RUNNING,
                        () -> streams.state().name(),
                        broker);
            } catch (BindException e) {
                broker.close();
                streamsMetrics.close();
                streams.close();
                throw new StartupException("Cannot listen on " + options.httpHost() + ":" + options.httpPort() + " ("
                        + e.getMessage() + "): pick another --http-port.");
            } catch (IOException e) {
                broker.close();
                streamsMetrics.close();
                streams.close();
                throw new StartupException("Cannot start the HTTP endpoint on " + options.httpHost() + ":"
                        + options.httpPort() + ": " + e.getMessage());
            }
        }
        streams.start();
        return new MonitorApp(config, registry, metrics, streams, streamsMetrics, http, broker);
    }

    public MonitorConfig config() {
        return config;
    }

    public KafkaStreams streams() {
        return streams;
    }

    /** What {@code /health} reports on besides the Streams client: the broker, the stream's progress. */
    public BrokerWatch brokerWatch() {
        return broker;
    }

    public LosswatchMetrics metrics() {
        return metrics;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The HTTP port actually bound, or -1 when HTTP is off. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    public boolean isRunning() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    /** Waits until the Streams client is running; false on timeout. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            KafkaStreams.State s = streams.state();
            if (s == KafkaStreams.State.RUNNING) {
                return true;
            }
            if (s == KafkaStreams.State.ERROR || s == KafkaStreams.State.NOT_RUNNING) {
                return false;
            }
            Thread.sleep(50);
        }
        return false;
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
        broker.close();
        streams.close(Duration.ofSeconds(30));
        streamsMetrics.close();
        registry.close();
    }
}
