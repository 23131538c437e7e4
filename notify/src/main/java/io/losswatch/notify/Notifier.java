package io.losswatch.notify;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.AlertType;
import io.losswatch.events.Cause;
import io.losswatch.events.EventJson;
import io.losswatch.events.InvalidEventException;
import io.losswatch.events.Severity;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alert delivery: reads the alerts topic and delivers every alert to every target, each target on its
 * own thread with its own consumer group. Runs inside the monitor ({@code losswatch monitor --webhook
 * ...}) or alone ({@code losswatch notify}); instances with the same group prefix share the work.
 */
public final class Notifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
    static final Duration INDEX_TIMEOUT = Duration.ofSeconds(15);

    private final NotifierConfig config;
    private final List<TargetWorker> workers;
    private final List<Thread> threads;

    private Notifier(NotifierConfig config, List<TargetWorker> workers, List<Thread> threads) {
        this.config = config;
        this.workers = workers;
        this.threads = threads;
    }

    /** Starts one delivery thread per target; the meters go to {@code registry}. */
    public static Notifier start(NotifierConfig config, MeterRegistry registry) {
        if (config.targets().isEmpty()) {
            throw new IllegalArgumentException("No webhook targets: give --webhook URL or --webhook-config FILE.");
        }
        DeliveryMetrics meters = new DeliveryMetrics(registry);
        FiringIndex index = new FiringIndex();
        index.load(config.indexProperties(), config.alertsTopic(), INDEX_TIMEOUT);
        Clock clock = Clock.systemUTC();
        WebhookSender sender = new WebhookSender(config.timeout(), clock);
        warmUp(config);
        sender.warmUp();
        List<TargetWorker> workers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (WebhookTarget t : config.targets()) {
            meters.register(t.name());
            TargetWorker w = new TargetWorker(
                    t,
                    config,
                    sender,
                    index,
                    meters,
                    clock,
                    () -> ThreadLocalRandom.current().nextDouble());
            Thread th = new Thread(w, "losswatch-notify-" + t.groupSuffix());
            workers.add(w);
            threads.add(th);
        }
        threads.forEach(Thread::start);
        LOG.info("Delivering alerts from {} to {}", config.alertsTopic(), config.targets());
        return new Notifier(config, workers, threads);
    }

    /**
     * Reads and renders a made-up alert in every configured format once, so that the first real alert
     * does not wait for the JSON mappers to build their readers and writers.
     */
    private static void warmUp(NotifierConfig config) {
        try {
            AlertEvent sample = new AlertEvent(
                    1,
                    AlertEvent.alertId("warm-up", AlertType.LOSS_EXPONENTIAL_GROWTH, 1),
                    "warm-up",
                    AlertType.LOSS_EXPONENTIAL_GROWTH,
                    AlertStatus.FIRING,
                    Severity.CRITICAL,
                    17,
                    1,
                    Instant.EPOCH,
                    Instant.EPOCH,
                    new AlertEvent.Fit(16, 0.1, 6.9, 0.99),
                    new AlertEvent.Forecast(800, Float.MAX_VALUE),
                    new AlertEvent.Diagnosis(Cause.LEARNING_RATE_TOO_HIGH, 0.6, List.of("warm-up"), "warm-up"));
            byte[] raw = EventJson.writeAlert(sample);
            AlertEvent read = EventJson.parseAlert(raw);
            for (WebhookTarget t : config.targets()) {
                t.format().body(Incident.firing(read), raw, config.grafana());
            }
        } catch (InvalidEventException | RuntimeException e) {
            LOG.debug("warm-up failed: {}", e.toString()); // only the first alert is slower then
        }
    }

    public NotifierConfig config() {
        return config;
    }

    /** True while every target's delivery thread runs with a working consumer. */
    public boolean isRunning() {
        for (int i = 0; i < workers.size(); i++) {
            if (!threads.get(i).isAlive() || !workers.get(i).healthy()) {
                return false;
            }
        }
        return true;
    }

    /** Stops every target; alerts not yet confirmed are delivered by the next start. */
    @Override
    public void close() {
        workers.forEach(TargetWorker::stop); // abandons requests in flight: they are resent after a restart
        for (Thread t : threads) {
            try {
                t.join(Duration.ofSeconds(15).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
