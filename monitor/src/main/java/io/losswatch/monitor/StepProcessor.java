package io.losswatch.monitor;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.losswatch.detector.Detector;
import io.losswatch.detector.RunState;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertText;
import io.losswatch.events.AlertType;
import io.losswatch.events.EventJson;
import io.losswatch.events.InvalidEventException;
import io.losswatch.events.StepEvent;
import io.losswatch.events.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
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

    private final Detector detector;
    private final LosswatchMetrics metrics;
    private final Clock clock;
    private final Duration idleTimeout;
    private final Duration stateRetention;
    private ProcessorContext<byte[], byte[]> context;
    /** Keeps the live run states of this task and writes the changed ones once per commit. */
    private RunStateStore store;

    StepProcessor(
            Detector detector, LosswatchMetrics metrics, Clock clock, Duration idleTimeout, Duration stateRetention) {
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
        Duration every = Duration.ofMillis(Math.max(1000, Math.min(60_000, idleTimeout.toMillis() / 4)));
        context.schedule(every, PunctuationType.WALL_CLOCK_TIME, this::expire);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        metrics.recordRead();
        StepEvent event;
        try {
            event = EventJson.parseStep(record.value());
            String key = keyIs(record.key(), event.runId()) ? event.runId() : decodeKey(record.key());
            if (!key.equals(event.runId())) {
                throw new InvalidEventException(
                        InvalidEventException.Reason.KEY_MISMATCH,
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
            store.rollBack(event.runId()); // the state may be half updated: back to before this step
            LOG.error("could not process step {} of run {}: {}", event.step(), event.runId(), e.toString(), e);
            deadLetter(record, "processing_error", "the monitor failed on this record: " + e);
        }
    }

    private void detect(Record<byte[], byte[]> record, StepEvent event) {
        String runId = event.runId();
        RunState state = store.get(runId);
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
        store.changed(runId, state, event, eventTime, now);
        RunSeries.Run series = metrics.step(store.lastSeries(), event, result.fit(), System.nanoTime());
        store.keepSeries(series);
        if (series.createdByLastStep) {
            // series (re)created, e.g. after a restart or a rebalance: show the alerts the state still holds
            for (AlertType t : AlertType.values()) {
                metrics.alertActive(runId, t, state.slot(t).firing());
            }
        }
        for (AlertEvent a : result.alerts()) { // keyed as the step: the run id's bytes, checked in process
            context.forward(
                    new Record<>(record.key(), EventJson.writeAlert(a), record.timestamp()),
                    MonitorTopology.ALERTS_SINK);
            metrics.alert(a, now.toEpochMilli() - eventTime.toEpochMilli());
            ALERT_LOG.info(AlertText.oneLine(a));
        }
    }

    private void deadLetter(Record<byte[], byte[]> record, String reason, String message) {
        metrics.invalidRecord(reason);
        Headers h = new RecordHeaders(record.headers().toArray());
        h.add(Topics.ERROR_HEADER, message.getBytes(UTF_8));
        h.add(Topics.REASON_HEADER, reason.getBytes(UTF_8));
        context.recordMetadata().ifPresent((RecordMetadata m) -> {
            h.add(Topics.SOURCE_TOPIC_HEADER, m.topic().getBytes(UTF_8));
            h.add(
                    Topics.SOURCE_PARTITION_HEADER,
                    Integer.toString(m.partition()).getBytes(UTF_8));
            h.add(Topics.SOURCE_OFFSET_HEADER, Long.toString(m.offset()).getBytes(UTF_8));
        });
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), h), MonitorTopology.DLQ_SINK);
    }

    /** Whether the key's bytes spell the run id (ASCII, as validated): the common case, without decoding. */
    private static boolean keyIs(byte[] key, String runId) {
        if (key == null || key.length != runId.length()) {
            return false;
        }
        for (int i = 0; i < key.length; i++) {
            if (key[i] != runId.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static String decodeKey(byte[] key) throws InvalidEventException {
        if (key == null || key.length == 0) {
            throw new InvalidEventException(
                    InvalidEventException.Reason.MISSING_KEY,
                    "record has no key; key each record by its run_id (kcat: -K: and write run_id:json)");
        }
        try {
            return UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new InvalidEventException(
                    InvalidEventException.Reason.KEY_MISMATCH,
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
        store.deleteIdle(lastSeen -> lastSeen < cutoff);
    }
}
