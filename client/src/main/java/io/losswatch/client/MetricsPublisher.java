package io.losswatch.client;

import io.losswatch.events.EventJson;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes step events to Kafka without ever slowing the training loop down. {@link #offer} puts
 * an event into a bounded buffer and returns at once; when the buffer is full (broker slow or
 * gone) the event is dropped and counted. A background thread hands buffered events to an
 * idempotent producer ({@code enable.idempotence=true}, {@code acks=all}), keyed by run id, so the
 * events of one run stay in order in one partition.
 *
 * <p>Any JVM trainer can use it: build a {@link StepEvent} per step and offer it. Thread-safe.
 */
public final class MetricsPublisher implements AutoCloseable {

    public static final int DEFAULT_CAPACITY = 10_000;
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final long SENDER_GRACE_MS = 1000;

    private final Producer<String, byte[]> producer;
    private final String topic;
    private final BlockingQueue<StepEvent> buffer;
    private final Thread sender;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    /** Offered and accepted, but not yet acknowledged or failed. Guarded by {@code this} for waits. */
    private long pending;

    private volatile boolean closed;
    /** Set by close once the counts are final; later callbacks change nothing. Guarded by {@code this}. */
    private boolean settled;

    private volatile Exception lastError;

    /** Publishes to {@link Topics#METRICS} with the default buffer. */
    public MetricsPublisher(String bootstrapServers) {
        this(bootstrapServers, Topics.METRICS, Map.of());
    }

    /**
     * @param bootstrapServers Kafka bootstrap servers, {@code host:port[,host:port]}
     * @param topic            topic to write to, usually {@link Topics#METRICS}
     * @param kafkaProps       extra producer settings (TLS, SASL, ...); they override the defaults
     */
    public MetricsPublisher(String bootstrapServers, String topic, Map<String, String> kafkaProps) {
        this(bootstrapServers, topic, kafkaProps, DEFAULT_CAPACITY);
    }

    public MetricsPublisher(String bootstrapServers, String topic, Map<String, String> kafkaProps, int capacity) {
        this(
                new KafkaProducer<>(
                        producerConfig(bootstrapServers, kafkaProps),
                        new StringSerializer(),
                        new ByteArraySerializer()),
                topic,
                capacity);
    }

    /** For tests: any producer, e.g. Kafka's {@code MockProducer}. */
    MetricsPublisher(Producer<String, byte[]> producer, String topic, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("buffer capacity must be > 0, got " + capacity);
        }
        this.producer = Objects.requireNonNull(producer, "producer");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.buffer = new ArrayBlockingQueue<>(capacity);
        this.sender = new Thread(this::sendLoop, "losswatch-publisher-" + INSTANCES.incrementAndGet());
        this.sender.setDaemon(true);
        this.sender.start();
    }

    /** The producer settings used: safe defaults, then {@code kafkaProps} on top. */
    static Properties producerConfig(String bootstrapServers, Map<String, String> kafkaProps) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "losswatch-trainer-" + (INSTANCES.get() + 1));
        // Only the sender thread waits here, never training: ride out a broker outage of up to two minutes
        // (the delivery timeout) instead of counting the steps of a short restart as failed.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "120000");
        p.putAll(new HashMap<>(kafkaProps));
        return p;
    }

    /**
     * Queues an event for sending; never blocks.
     *
     * @return false when the event was dropped because the buffer is full or the publisher closed
     */
    public boolean offer(StepEvent event) {
        Objects.requireNonNull(event, "event");
        synchronized (this) {
            if (closed || !buffer.offer(event)) {
                dropped.incrementAndGet();
                return false;
            }
            pending++;
        }
        return true;
    }

    /** Events refused by {@link #offer} because the buffer was full or the publisher closed. */
    public long droppedCount() {
        return dropped.get();
    }

    /** Events the broker has acknowledged. */
    public long sentCount() {
        return sent.get();
    }

    /** Events accepted but not delivered: a send error, or still unsent when the publisher closed. */
    public long failedCount() {
        return failed.get();
    }

    /** Why the last failed event failed, or null. */
    public Exception lastError() {
        return lastError;
    }

    /** Events accepted and still on their way. */
    public synchronized long pendingCount() {
        return pending;
    }

    /** Waits up to {@link #DEFAULT_CLOSE_TIMEOUT} until every accepted event is acknowledged or failed. */
    public boolean flush() {
        return flush(DEFAULT_CLOSE_TIMEOUT);
    }

    /**
     * Waits until every event accepted so far is acknowledged or failed.
     *
     * @return false when {@code timeout} passed first
     */
    public synchronized boolean flush(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pending > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Flushes for up to {@link #DEFAULT_CLOSE_TIMEOUT}, then closes the producer. */
    @Override
    public void close() {
        close(DEFAULT_CLOSE_TIMEOUT);
    }

    /**
     * Stops accepting events, flushes for up to {@code timeout}, then closes the producer. Returns
     * within about {@code timeout} plus one second; undelivered events count as failed.
     */
    public void close(Duration timeout) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        flush(timeout);
        sender.interrupt();
        try {
            // An interrupted send returns at once; the grace lets its count settle before we return.
            sender.join(Math.max(SENDER_GRACE_MS, remainingMillis(deadline)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofMillis(remainingMillis(deadline)));
        // Whatever is still unacknowledged (in the buffer, or taken by the sender but never completed) is
        // lost; count it so the numbers add up, and ignore any callback that comes later.
        buffer.clear();
        synchronized (this) {
            failed.addAndGet(pending);
            pending = 0;
            settled = true;
            notifyAll();
        }
    }

    private static long remainingMillis(long deadline) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private void sendLoop() {
        while (!Thread.currentThread().isInterrupted()) {
            StepEvent event;
            try {
                event = buffer.take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                byte[] value = EventJson.writeStep(event);
                producer.send(new ProducerRecord<>(topic, event.runId(), value), (metadata, error) -> {
                    if (error != null) {
                        lastError = error;
                    }
                    completed(1, error == null);
                });
            } catch (InterruptException e) {
                lastError = e;
                completed(1, false);
                return;
            } catch (RuntimeException e) {
                lastError = e;
                completed(1, false);
            }
        }
    }

    private synchronized void completed(int count, boolean ok) {
        if (count == 0 || settled) {
            return;
        }
        (ok ? sent : failed).addAndGet(count);
        pending -= count;
        if (pending <= 0) {
            notifyAll();
        }
    }
}
