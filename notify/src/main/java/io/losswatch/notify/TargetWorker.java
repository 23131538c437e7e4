package io.losswatch.notify;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.EventJson;
import io.losswatch.events.InvalidEventException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the alerts topic to one target, in order, with its own consumer group, so a target that is
 * down or keeps failing holds up nobody else. A record's offset is committed only once the target
 * took it (or refused it for good), so a restart resends what was not confirmed: at least once.
 *
 * <p>While an alert waits for its next attempt, the partitions are paused and the consumer keeps
 * polling, which keeps it in its group without fetching more.
 *
 * <p>One file for one state machine (poll, attempt, wait, commit): split up, its states would become
 * fields shared between classes.
 */
final class TargetWorker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(TargetWorker.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final WebhookTarget target;
    private final NotifierConfig config;
    private final WebhookSender sender;
    private final FiringIndex index;
    private final DeliveryMetrics meters;
    private final Clock clock;
    private final DoubleSupplier random;
    private final Instant backfillCutoff;
    /** When this worker started: alerts decided earlier are a backlog, not a measure of delivery latency. */
    private final Instant startedAt;

    private final Deque<Pending> pending = new ArrayDeque<>();
    /** Partitions this target has never committed on: old alerts there are skipped (see backfill). */
    private final Set<TopicPartition> fresh = new HashSet<>();
    /**
     * Positions past the records done with, not yet known to be committed. Committed asynchronously
     * after each delivery (a synchronous commit per alert held up every alert behind it in a burst),
     * and synchronously when partitions are revoked and when the consumer closes.
     */
    private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();

    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile boolean running = true;
    private volatile boolean failed;
    /** Guards {@link #inFlight}, so that stop() interrupts a request and nothing else (not the consumer's close). */
    private final Object flight = new Object();

    private boolean inFlight;
    private volatile Thread runner;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private long lastPollMillis;

    /** A record read and not yet done with. */
    private static final class Pending {
        final ConsumerRecord<byte[], byte[]> record;
        final TopicPartition partition;
        final AlertEvent alert;
        final String invalid;
        byte[] body;
        int failures;
        long notBeforeMillis;

        Pending(ConsumerRecord<byte[], byte[]> record, AlertEvent alert, String invalid) {
            this.record = record;
            this.partition = new TopicPartition(record.topic(), record.partition());
            this.alert = alert;
            this.invalid = invalid;
        }
    }

    TargetWorker(
            WebhookTarget target,
            NotifierConfig config,
            WebhookSender sender,
            FiringIndex index,
            DeliveryMetrics meters,
            Clock clock,
            DoubleSupplier random) {
        this.target = target;
        this.config = config;
        this.sender = sender;
        this.index = index;
        this.meters = meters;
        this.clock = clock;
        this.random = random;
        this.startedAt = clock.instant();
        this.backfillCutoff = startedAt.minus(config.backfill());
    }

    /**
     * The retries a log line is written for: every one of the first {@value #LOG_EVERY_ATTEMPT_UP_TO},
     * then every {@value #LOG_EVERY_NTH_ATTEMPT}th, so a long outage stays visible without flooding the log.
     */
    static boolean logsRetry(int failures) {
        return failures <= LOG_EVERY_ATTEMPT_UP_TO || failures % LOG_EVERY_NTH_ATTEMPT == 0;
    }

    static final int LOG_EVERY_ATTEMPT_UP_TO = 5;
    static final int LOG_EVERY_NTH_ATTEMPT = 10;

    /**
     * How long the alert took from decision to delivery, or null for an alert decided before this
     * worker started: catching up on a backlog measures the downtime, not the delivery.
     */
    static Duration deliveryLatency(Instant detectedAt, Instant startedAt, Instant now) {
        if (detectedAt == null || detectedAt.isBefore(startedAt)) {
            return null;
        }
        return Duration.between(detectedAt, now);
    }

    WebhookTarget target() {
        return target;
    }

    /** False once stopped, or while the consumer is being recreated after an unexpected error. */
    boolean healthy() {
        return running && !failed;
    }

    /** Asks the loop to end; an attempt in flight is abandoned (it is resent after a restart). */
    void stop() {
        stopped.countDown();
        synchronized (flight) {
            running = false;
            if (inFlight && runner != null) {
                runner.interrupt();
            }
        }
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    @Override
    public void run() {
        runner = Thread.currentThread();
        int crashes = 0;
        while (running) {
            KafkaConsumer<byte[], byte[]> c = null;
            try {
                c = new KafkaConsumer<>(
                        config.consumerProperties(target), new ByteArrayDeserializer(), new ByteArrayDeserializer());
                consumer = c;
                if (!running) {
                    break; // stop() came before the consumer could be woken up
                }
                pending.clear();
                fresh.clear();
                uncommitted.clear();
                c.subscribe(List.of(config.alertsTopic()), new Rebalance());
                failed = false;
                loop(c);
            } catch (WakeupException | InterruptException e) {
                // stop() asked; checked by the loop condition
            } catch (InterruptedException e) {
                running = false;
            } catch (RuntimeException e) {
                if (running) {
                    failed = true;
                    crashes++;
                    Duration wait = config.backoff().delay(crashes, null, random);
                    LOG.error(
                            "Webhook {}: the Kafka consumer failed ({}); recreating it in {} ms. Alerts not "
                                    + "yet confirmed will be delivered again.",
                            target.name(),
                            target.redact(e.toString()),
                            wait.toMillis());
                    closeQuietly(c);
                    c = null;
                    if (!pause(wait)) {
                        break;
                    }
                }
            } finally {
                consumer = null;
                // an interrupt of a request in flight must not keep the consumer from leaving its group
                // cleanly, or the next instance would wait for this one's session to time out
                Thread.interrupted();
                commitUncommitted(c, null);
                closeQuietly(c);
            }
        }
        pending.clear();
    }

    private void closeQuietly(KafkaConsumer<byte[], byte[]> c) {
        if (c == null) {
            return;
        }
        try {
            c.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
            LOG.debug("Webhook {}: closing the consumer: {}", target.name(), e.toString());
        }
    }

    /** Waits, unless stop() comes first; true when still running. */
    private boolean pause(Duration d) {
        try {
            return !stopped.await(d.toMillis(), TimeUnit.MILLISECONDS) && running;
        } catch (InterruptedException e) {
            return false;
        }
    }

    private void loop(KafkaConsumer<byte[], byte[]> c) throws InterruptedException {
        while (running) {
            if (pending.isEmpty()) {
                if (!c.paused().isEmpty()) {
                    c.resume(c.paused());
                }
                poll(c, POLL);
                if (pending.isEmpty()) {
                    commitFreshPositions(c);
                }
                continue;
            }
            Pending head = pending.peekFirst();
            long wait = head.notBeforeMillis - clock.millis();
            if (wait > 0 || clock.millis() - lastPollMillis > POLL.toMillis()) {
                // waiting for the next attempt, or busy for a while: stay in the group without fetching more
                c.pause(c.assignment());
                poll(c, Duration.ofMillis(Math.max(0, Math.min(wait, POLL.toMillis()))));
                continue;
            }
            handle(c, head);
        }
    }

    private void poll(KafkaConsumer<byte[], byte[]> c, Duration d) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(d)) {
            AlertEvent alert = null;
            String invalid = null;
            try {
                alert = EventJson.parseAlert(r.value());
                if (alert.alertId() == null || alert.runId() == null || alert.status() == null) {
                    invalid = "an alert event needs alert_id, run_id and status";
                    alert = null;
                } else {
                    index.remember(alert);
                }
            } catch (InvalidEventException e) {
                invalid = e.getMessage();
            }
            pending.addLast(new Pending(r, alert, invalid));
        }
        lastPollMillis = clock.millis();
    }

    private void handle(KafkaConsumer<byte[], byte[]> c, Pending p) throws InterruptedException {
        if (p.alert == null) {
            LOG.warn(
                    "Webhook {}: skipping the record at {}@{}: {}",
                    target.name(),
                    p.partition,
                    p.record.offset(),
                    p.invalid);
            meters.outcome(target.name(), DeliveryMetrics.OUTCOME_INVALID);
            done(c, p);
            return;
        }
        AlertEvent a = p.alert;
        if (fresh.contains(p.partition)
                && a.detectedAt() != null
                && a.detectedAt().isBefore(backfillCutoff)) {
            LOG.debug(
                    "Webhook {}: first start, skipping {} decided at {} (before the backfill window)",
                    target.name(),
                    a.alertId(),
                    a.detectedAt());
            done(c, p);
            return;
        }
        if (p.body == null) {
            // built once, so every attempt in this process sends the same bytes
            p.body = target.format().body(Incident.of(a, index), p.record.value(), config.grafana());
        }
        Attempt attempt = send(DeliveryId.of(a), p.body);
        String what = a.alertId() + " (" + a.status().wire() + ")";
        switch (attempt.verdict()) {
            case DELIVERED -> {
                meters.delivered(target.name(), deliveryLatency(a.detectedAt(), startedAt, clock.instant()));
                if (p.failures > 0) {
                    // a recovery after failures is what an operator who saw the warnings looks for
                    LOG.warn("Webhook {}: delivered {} after {} failed attempts", target.name(), what, p.failures);
                } else {
                    LOG.info("Webhook {}: delivered {}", target.name(), what);
                }
                done(c, p);
            }
            case REJECTED -> {
                meters.outcome(target.name(), DeliveryMetrics.OUTCOME_REJECTED);
                LOG.error(
                        "Webhook {} refused {} for good ({}); skipping it. Check that the target expects "
                                + "the '{}' format.",
                        target.name(),
                        what,
                        attempt.problem(),
                        target.format().wire());
                done(c, p);
            }
            case RETRY -> {
                p.failures++;
                meters.outcome(target.name(), DeliveryMetrics.OUTCOME_FAILED);
                meters.failingAttempts(target.name(), p.failures);
                Duration delay = config.backoff().delay(p.failures, attempt.retryAfter(), random);
                p.notBeforeMillis = clock.millis() + delay.toMillis();
                boolean loud = logsRetry(p.failures);
                if (loud || LOG.isDebugEnabled()) {
                    String msg = "Webhook {}: delivering {} failed ({}); attempt {} in {} ms";
                    Object[] args = {target.name(), what, attempt.problem(), p.failures + 1, delay.toMillis()};
                    if (loud) {
                        LOG.warn(msg, args);
                    } else {
                        LOG.debug(msg, args);
                    }
                }
            }
        }
    }

    private Attempt send(String deliveryId, byte[] body) throws InterruptedException {
        synchronized (flight) {
            if (!running) {
                throw new InterruptedException("stopping");
            }
            inFlight = true;
        }
        try {
            return sender.send(target, deliveryId, body);
        } finally {
            synchronized (flight) {
                inFlight = false;
            }
        }
    }

    /** The record is done with: forget it, then commit past it (asynchronously: see {@link #uncommitted}). */
    private void done(KafkaConsumer<byte[], byte[]> c, Pending p) {
        pending.remove(p);
        meters.failingAttempts(target.name(), 0);
        OffsetAndMetadata next = new OffsetAndMetadata(p.record.offset() + 1);
        uncommitted.put(p.partition, next);
        fresh.remove(p.partition);
        Map<TopicPartition, OffsetAndMetadata> offsets = Map.of(p.partition, next);
        try {
            c.commitAsync(offsets, (done, error) -> {
                if (error == null) {
                    uncommitted.remove(p.partition, next); // callbacks run on this thread, inside poll()
                } else {
                    LOG.debug(
                            "Webhook {}: committing {} failed ({}); retried later",
                            target.name(),
                            offsets,
                            error.toString());
                }
            });
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (KafkaException e) {
            LOG.debug("Webhook {}: could not commit {} ({}); retried later", target.name(), offsets, e.toString());
        }
    }

    /** Commits, and waits for, what was done with but may not be committed yet (of {@code only}, or all). */
    private void commitUncommitted(KafkaConsumer<byte[], byte[]> c, Collection<TopicPartition> only) {
        if (c == null || uncommitted.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(uncommitted);
        if (only != null) {
            offsets.keySet().retainAll(only);
        }
        uncommitted.keySet().removeAll(offsets.keySet());
        if (!offsets.isEmpty()) {
            commit(c, offsets);
        }
    }

    /** With nothing pending, what was read is done: storing the position ends a partition's first start. */
    private void commitFreshPositions(KafkaConsumer<byte[], byte[]> c) {
        if (fresh.isEmpty()) {
            return;
        }
        for (TopicPartition tp : List.copyOf(fresh)) {
            if (c.assignment().contains(tp)) {
                try {
                    commit(c, Map.of(tp, new OffsetAndMetadata(c.position(tp, Duration.ofSeconds(5)))));
                    fresh.remove(tp);
                } catch (org.apache.kafka.common.errors.TimeoutException e) {
                    // next time
                }
            }
        }
    }

    private void commit(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, OffsetAndMetadata> offsets) {
        try {
            c.commitSync(offsets, Duration.ofSeconds(10));
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (KafkaException e) {
            // the record was handled; if the commit is lost it is delivered again, with the same delivery id
            LOG.warn(
                    "Webhook {}: could not store the delivery position ({}); the alert may be sent again",
                    target.name(),
                    e.getMessage());
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commitUncommitted(consumer, partitions); // the next owner starts where this one stopped
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            uncommitted.keySet().removeAll(partitions);
            forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            KafkaConsumer<byte[], byte[]> c = consumer;
            if (c == null || partitions.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndMetadata> committed = c.committed(new HashSet<>(partitions));
            for (TopicPartition tp : partitions) {
                if (committed.get(tp) == null) {
                    fresh.add(tp);
                }
            }
        }

        private void forget(Collection<TopicPartition> partitions) {
            // another instance delivers these now, from the last committed position
            pending.removeIf(p -> partitions.contains(p.partition));
            fresh.removeAll(partitions);
        }
    }
}
