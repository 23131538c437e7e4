package io.losswatch.monitor;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertText;
import io.losswatch.events.AlertType;
import io.losswatch.events.EventJson;
import io.losswatch.events.InvalidEventException;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import io.losswatch.monitor.detect.Detector;
import io.losswatch.monitor.detect.RunState;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thin Kafka glue around the {@link Detector}: validates each raw record, loads and stores the run's
 * state, forwards alerts and dead letters. A bad record never stops it.
 */
final class StepProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(StepProcessor.class);
    /** One line per alert; the launcher's logging shows this logger on the console. */
    private static final Logger ALERT_LOG = LoggerFactory.getLogger("losswatch.alerts");
    /** Bounds the live states kept per task (a few KB each); runs past it are read from the store. */
    static final int MAX_LIVE_RUNS = 10_000;

    private final Detector detector;
    private final LosswatchMetrics metrics;
    private final Clock clock;
    private final Duration idleTimeout;
    private final Duration stateRetention;
    /**
     * Live run states of this task, so that a step does not deserialize its run's state again. The
     * store stays the durable copy and is written on every step (its record cache coalesces those
     * writes per commit). Cleared on init and close: after a rebalance, an exactly-once abort or a
     * task revival the store (restored from its changelog) is the truth, and states are read again.
     */
    private final Map<String, RunState> live = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, RunState> eldest) {
            return size() > MAX_LIVE_RUNS;
        }
    };
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> store;

    StepProcessor(Detector detector, LosswatchMetrics metrics, Clock clock, Duration idleTimeout,
            Duration stateRetention) {
        this.detector = detector;
        this.metrics = metrics;
        this.clock = clock;
        this.idleTimeout = idleTimeout;
        this.stateRetention = stateRetention;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(MonitorTopology.STATE_STORE);
        live.clear();
        Duration every = Duration.ofMillis(Math.max(1000, Math.min(60_000, idleTimeout.toMillis() / 4)));
        context.schedule(every, PunctuationType.WALL_CLOCK_TIME, this::expire);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        metrics.recordRead();
        StepEvent event;
        try {
            event = EventJson.parseStep(record.value());
            String key = decodeKey(record.key());
            if (!key.equals(event.runId())) {
                throw new InvalidEventException(InvalidEventException.Reason.KEY_MISMATCH,
                        "record key '" + abbreviate(key) + "' differs from run_id '" + event.runId()
                                + "'; key each record by its run_id");
            }
        } catch (InvalidEventException e) {
            deadLetter(record, e.reason().label(), e.getMessage());
            return;
        }
        try {
            detect(record, event);
        } catch (RuntimeException e) {
            // a bug must cost one record, not the service: keep the record for inspection
            live.remove(event.runId()); // the state may be half updated: read the stored one next time
            LOG.error("could not process step {} of run {}: {}", event.step(), event.runId(), e.toString(), e);
            deadLetter(record, "processing_error", "the monitor failed on this record: " + e);
        }
    }

    private void detect(Record<byte[], byte[]> record, StepEvent event) {
        String runId = event.runId();
        RunState state = live.get(runId);
        if (state == null) {
            state = load(runId);
            live.put(runId, state);
        }
        Instant now = clock.instant();
        Instant eventTime = event.time() != null ? event.time() : Instant.ofEpochMilli(record.timestamp());
        Detector.Result result = detector.onStep(state, event, eventTime, now);
        if (result.outcome() == Detector.Outcome.STALE_STEP) {
            metrics.ignoredRecord("stale_step");
            return;
        }
        if (result.outcome() == Detector.Outcome.NEW_ATTEMPT) {
            metrics.ignoredRecord("new_attempt"); // counted so operators see restarts; the step itself is used
        }
        store.put(runId, state.toBytes());
        if (metrics.step(event, result.fit(), System.nanoTime())) {
            // series (re)created, e.g. after a restart or a rebalance: show the alerts the state still holds
            for (AlertType t : AlertType.values()) {
                metrics.alertActive(runId, t, state.slot(t).firing());
            }
        }
        byte[] key = runId.getBytes(UTF_8);
        for (AlertEvent a : result.alerts()) {
            context.forward(new Record<>(key, EventJson.writeAlert(a), record.timestamp()), MonitorTopology.ALERTS_SINK);
            metrics.alert(a, now.toEpochMilli() - eventTime.toEpochMilli());
            ALERT_LOG.info(AlertText.oneLine(a));
        }
    }

    private RunState load(String runId) {
        byte[] stored = store.get(runId);
        if (stored == null) {
            return detector.newState();
        }
        try {
            return RunState.fromBytes(stored, detector.config());
        } catch (RuntimeException e) {
            LOG.warn("discarding unreadable state of run {}: {}", runId, e.toString());
            return detector.newState();
        }
    }

    @Override
    public void close() {
        live.clear();
    }

    private void deadLetter(Record<byte[], byte[]> record, String reason, String message) {
        metrics.invalidRecord(reason);
        Headers h = new RecordHeaders(record.headers().toArray());
        h.add(Topics.ERROR_HEADER, message.getBytes(UTF_8));
        h.add(Topics.REASON_HEADER, reason.getBytes(UTF_8));
        context.recordMetadata().ifPresent((RecordMetadata m) -> {
            h.add(Topics.SOURCE_TOPIC_HEADER, m.topic().getBytes(UTF_8));
            h.add(Topics.SOURCE_PARTITION_HEADER, Integer.toString(m.partition()).getBytes(UTF_8));
            h.add(Topics.SOURCE_OFFSET_HEADER, Long.toString(m.offset()).getBytes(UTF_8));
        });
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), h), MonitorTopology.DLQ_SINK);
    }

    private static String decodeKey(byte[] key) throws InvalidEventException {
        if (key == null || key.length == 0) {
            throw new InvalidEventException(InvalidEventException.Reason.MISSING_KEY,
                    "record has no key; key each record by its run_id (kcat: -K: and write run_id:json)");
        }
        try {
            return UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(key)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidEventException(InvalidEventException.Reason.KEY_MISMATCH,
                    "record key is not valid UTF-8; key each record by its run_id");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    /** Drops per-run series of idle runs, and the state of runs idle past the retention. */
    private void expire(long wallClockMillis) {
        metrics.expireIdleRuns(System.nanoTime(), idleTimeout);
        long cutoff = wallClockMillis - stateRetention.toMillis();
        List<String> old = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                try {
                    if (RunState.fromBytes(kv.value, detector.config()).lastSeenMillis() < cutoff) {
                        old.add(kv.key);
                    }
                } catch (RuntimeException e) {
                    old.add(kv.key);
                }
            }
        }
        old.forEach(k -> {
            store.delete(k);
            live.remove(k);
        });
    }
}
