package io.losswatch.notify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of alert delivery. Separate from the monitor's, so that {@code losswatch notify}
 * running alone publishes only these.
 */
public final class DeliveryMetrics {
    /** Webhook target: its configured name, or scheme://host:port (never credentials or paths). */
    public static final String TARGET = "target";

    public static final String OUTCOME = "outcome";
    public static final String WEBHOOK_DELIVERIES = "losswatch.webhook.deliveries";
    public static final String WEBHOOK_DELIVERY_LATENCY = "losswatch.webhook.delivery.latency";
    public static final String WEBHOOK_FAILING_ATTEMPTS = "losswatch.webhook.failing.attempts";
    /** The target took the alert (2xx). */
    public static final String OUTCOME_DELIVERED = "delivered";
    /** An attempt failed (error status, timeout, refused connection); it will be retried. */
    public static final String OUTCOME_FAILED = "failed";
    /** The target refused the payload itself (400, 413, 422): retrying cannot help, the alert is skipped. */
    public static final String OUTCOME_REJECTED = "rejected";
    /** The record on the alerts topic is not an alert event; skipped. */
    public static final String OUTCOME_INVALID = "invalid";

    private final MeterRegistry registry;
    private final Map<String, Counter> deliveries = new ConcurrentHashMap<>();
    private final Map<String, Timer> latency = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> failing = new ConcurrentHashMap<>();

    public DeliveryMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Creates a target's series at zero, so that rates and absence checks work from the start. */
    public void register(String target) {
        counter(target, OUTCOME_DELIVERED);
        counter(target, OUTCOME_FAILED);
        failingGauge(target);
    }

    public void outcome(String target, String outcome) {
        counter(target, outcome).increment();
    }

    /** A delivery succeeded, {@code sinceDetected} after the monitor decided the alert. */
    public void delivered(String target, Duration sinceDetected) {
        counter(target, OUTCOME_DELIVERED).increment();
        if (sinceDetected != null && !sinceDetected.isNegative()) {
            latency.computeIfAbsent(
                            target,
                            t -> Timer.builder(WEBHOOK_DELIVERY_LATENCY)
                                    .description(
                                            "Time from the monitor deciding an alert to a webhook target taking it, "
                                                    + "retries included")
                                    .tag(TARGET, t)
                                    .publishPercentileHistogram()
                                    .minimumExpectedValue(Duration.ofMillis(10))
                                    .maximumExpectedValue(Duration.ofHours(1))
                                    .register(registry))
                    .record(sinceDetected);
        }
    }

    /** Failed attempts in a row for the alert a target is stuck on; 0 while it keeps up. */
    public void failingAttempts(String target, int attempts) {
        failingGauge(target).set(attempts);
    }

    private Counter counter(String target, String outcome) {
        return deliveries.computeIfAbsent(
                target + "|" + outcome,
                k -> Counter.builder(WEBHOOK_DELIVERIES)
                        .description("Webhook delivery attempts, by target and outcome (delivered, failed, rejected, "
                                + "invalid)")
                        .baseUnit("deliveries")
                        .tags(TARGET, target, OUTCOME, outcome)
                        .register(registry));
    }

    private AtomicInteger failingGauge(String target) {
        return failing.computeIfAbsent(target, t -> {
            AtomicInteger n = new AtomicInteger();
            Gauge.builder(WEBHOOK_FAILING_ATTEMPTS, n, AtomicInteger::get)
                    .tag(TARGET, t)
                    .description("Failed attempts in a row for the alert a webhook target is stuck on; "
                            + "0 while it keeps up")
                    .baseUnit("attempts")
                    .register(registry);
            return n;
        });
    }
}
