package io.losswatch.monitor.notify;

import io.losswatch.monitor.LosswatchMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
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
        LosswatchMetrics.Webhooks meters = new LosswatchMetrics.Webhooks(registry);
        FiringIndex index = new FiringIndex();
        index.load(config.indexProperties(), config.alertsTopic(), INDEX_TIMEOUT);
        Clock clock = Clock.systemUTC();
        WebhookSender sender = new WebhookSender(config.timeout(), clock);
        List<TargetWorker> workers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (WebhookTarget t : config.targets()) {
            meters.register(t.name());
            TargetWorker w = new TargetWorker(t, config, sender, index, meters, clock,
                    () -> ThreadLocalRandom.current().nextDouble());
            Thread th = new Thread(w, "losswatch-notify-" + t.groupSuffix());
            workers.add(w);
            threads.add(th);
        }
        threads.forEach(Thread::start);
        LOG.info("Delivering alerts from {} to {}", config.alertsTopic(), config.targets());
        return new Notifier(config, workers, threads);
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
