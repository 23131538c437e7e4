package io.losswatch.notify;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.losswatch.events.KafkaPreflight;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the Kafka cluster answers, asked in the background every {@link #INTERVAL} with a short
 * timeout, so that {@code /health} answers at once from the last result. A Streams client or a
 * consumer whose broker has gone stays RUNNING and only retries quietly; this is what tells.
 * Logs once (WARN) when the broker is lost and once (INFO) when it is back.
 */
public final class BrokerWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerWatch.class);

    /** How often the cluster is asked: a readiness probe sees a lost broker within this plus {@link #TIMEOUT}. */
    public static final Duration INTERVAL = Duration.ofSeconds(5);
    /** One question's timeout: a broker that takes longer than this to answer metadata is as good as gone. */
    public static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final String who;
    private final BooleanSupplier probe;
    private final Clock clock;
    private final AutoCloseable resource;
    private final ScheduledExecutorService scheduler;
    /** Set by {@link #watchProgress}: the groups whose progress {@code /health} reports too. */
    private final List<GroupProgress> progress = new CopyOnWriteArrayList<>();

    private volatile boolean reachable = true;
    private volatile Instant lastChecked;
    private volatile Instant lostSince;

    BrokerWatch(String who, BooleanSupplier probe, Clock clock, AutoCloseable resource, boolean background) {
        this.who = who;
        this.probe = probe;
        this.clock = clock;
        this.resource = resource;
        if (background) {
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "losswatch-broker-watch");
                t.setDaemon(true);
                return t;
            });
            scheduler.scheduleWithFixedDelay(this::check, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        } else {
            scheduler = null;
        }
    }

    /**
     * Starts watching the cluster at {@code bootstrapServers} with the given client settings (TLS, SASL).
     *
     * @param who names the service in the log lines ("monitor", "notifier")
     */
    public static BrokerWatch start(String who, String bootstrapServers, Map<String, String> kafka) {
        Properties p = KafkaPreflight.adminProperties(bootstrapServers, kafka, (int) TIMEOUT.toMillis());
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "losswatch-" + who + "-health");
        Admin admin = Admin.create(p);
        BooleanSupplier probe = () -> {
            try {
                admin.describeCluster().clusterId().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (Exception e) {
                return false;
            }
        };
        return new BrokerWatch(who, probe, Clock.systemUTC(), admin, true);
    }

    /**
     * Also reports whether the consumer group {@code groupId} keeps up with {@code topic}, by its
     * committed offsets, asked with the same client after each answered check.
     *
     * @param stallAfter how long records may wait with nothing committed before {@code /health} says 503
     */
    public BrokerWatch watchProgress(String groupId, String topic, Duration stallAfter) {
        progress.add(new GroupProgress(who, null, groupId, topic, stallAfter, clock.instant()));
        return this;
    }

    /**
     * Also reports whether each webhook target's consumer group keeps up with the alerts topic: a
     * target whose receiver has failed for {@code stallAfter} while alerts wait makes {@code /health}
     * 503, naming the target.
     */
    public BrokerWatch watchDelivery(NotifierConfig config, Duration stallAfter) {
        for (WebhookTarget t : config.targets()) {
            progress.add(new GroupProgress(
                    who + ": webhook " + t.name(),
                    t.name(),
                    config.groupId(t),
                    config.alertsTopic(),
                    stallAfter,
                    clock.instant()));
        }
        return this;
    }

    /** Asks the cluster once and logs a change. Runs in the background; called directly by tests. */
    void check() {
        boolean now = probe.getAsBoolean();
        Instant at = clock.instant();
        lastChecked = at;
        if (now && resource instanceof Admin admin) {
            for (GroupProgress p : progress) {
                try {
                    p.sample(admin, TIMEOUT, at);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (Exception e) {
                    // the broker answered but the offsets did not come: the next check asks again
                    LOG.debug("{}: could not read the offsets of {}: {}", who, p.groupId(), e.toString());
                }
            }
        }
        if (reachable && !now) {
            lostSince = at;
            LOG.warn(
                    "{}: lost the Kafka broker (no answer within {} ms); /health answers 503 until it is back",
                    who,
                    TIMEOUT.toMillis());
        } else if (!reachable && now) {
            LOG.info(
                    "{}: the Kafka broker is back after {} s",
                    who,
                    Duration.between(lostSince, at).toSeconds());
            lostSince = null;
        }
        reachable = now;
    }

    /** The last answer: true until a check has failed. */
    public boolean reachable() {
        return reachable;
    }

    /** False while a watched group is stalled (see {@link #watchProgress}); true when none is watched. */
    public boolean progressing() {
        return progress.stream().allMatch(GroupProgress::progressing);
    }

    /**
     * The fields {@code /health} adds: {@code "kafka":"reachable"} or {@code "unreachable"}, since when,
     * and the watched group's progress.
     */
    public String healthFields() {
        StringBuilder b = new StringBuilder("\"kafka\":\"")
                .append(reachable ? "reachable" : "unreachable")
                .append('"');
        Instant lost = lostSince;
        if (lost != null) {
            b.append(",\"kafka_unreachable_since\":\"").append(lost).append('"');
        }
        Instant checked = lastChecked;
        if (checked != null) {
            b.append(",\"kafka_checked_at\":\"").append(checked).append('"');
        }
        StringBuilder delivery = new StringBuilder();
        for (GroupProgress p : progress) {
            if (p.target() == null) {
                b.append(',').append(p.healthFields());
            } else {
                delivery.append(delivery.length() == 0 ? "" : ",")
                        .append('"')
                        .append(JsonStringEncoder.getInstance().quoteAsString(p.target()))
                        .append('"')
                        .append(":{")
                        .append(p.healthFields())
                        .append('}');
            }
        }
        if (delivery.length() > 0) {
            b.append(",\"delivery\":{").append(delivery).append('}');
        }
        return b.toString();
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        try {
            resource.close();
        } catch (Exception e) {
            LOG.debug("{}: closing the health check's Kafka client: {}", who, e.toString());
        }
    }
}
