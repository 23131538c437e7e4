package io.losswatch.notify;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a consumer group keeps up with its input topic, seen from the broker: how many offsets wait
 * (the topic's committed end offsets less the group's committed offsets: records, plus the commit
 * markers of a transactional writer such as the monitor) and when the group's offsets
 * last moved. A Kafka Streams client whose thread is stuck or paused stays RUNNING; this is what
 * tells. The group is <em>stalled</em> when records wait and it has committed nothing for
 * {@code stallAfter}; a group with nothing to read is caught up, not stalled. Logs once (WARN) when it
 * stalls and once (INFO) when it moves again.
 */
public final class GroupProgress {
    private static final Logger LOG = LoggerFactory.getLogger(GroupProgress.class);

    private final String who;
    private final String target;
    private final String groupId;
    private final String topic;
    private final Duration stallAfter;

    private Map<Integer, Long> committed = Map.of();
    /** The last time the group was seen moving or caught up: a stall is counted from here. */
    private Instant movingAt;

    private volatile long lag = -1;
    private volatile Instant lastCommitSeen;
    private volatile Instant stalledSince;

    /**
     * @param who names the service in the log lines ("monitor")
     * @param target the webhook target whose delivery this group is, or null for the monitor's stream
     * @param stallAfter how long records may wait with no commit before the group counts as stalled
     */
    public GroupProgress(String who, String target, String groupId, String topic, Duration stallAfter, Instant start) {
        this.who = who;
        this.target = target;
        this.groupId = groupId;
        this.topic = topic;
        this.stallAfter = stallAfter;
        this.movingAt = start;
    }

    /**
     * Takes one look at the offsets, by partition number.
     *
     * @param groupOffsets the group's committed offsets (a partition it never committed is absent)
     * @param startOffsets where each partition begins: what a group without a commit has yet to read from
     * @param endOffsets where each partition ends, for a read_committed reader
     */
    synchronized void observe(
            Map<Integer, Long> groupOffsets,
            Map<Integer, Long> startOffsets,
            Map<Integer, Long> endOffsets,
            Instant now) {
        long waiting = 0;
        for (Map.Entry<Integer, Long> end : endOffsets.entrySet()) {
            Long at = groupOffsets.get(end.getKey());
            long from = at != null ? at : startOffsets.getOrDefault(end.getKey(), 0L);
            waiting += Math.max(0, end.getValue() - from);
        }
        boolean moved = false;
        for (Map.Entry<Integer, Long> c : groupOffsets.entrySet()) {
            Long before = committed.get(c.getKey());
            if (before == null || c.getValue() > before) {
                moved = true;
            }
        }
        if (moved && !groupOffsets.isEmpty()) {
            lastCommitSeen = now;
        }
        committed = Map.copyOf(groupOffsets);
        lag = waiting;
        if (moved || waiting == 0) {
            movingAt = now;
        }
        boolean stalledNow = waiting > 0 && Duration.between(movingAt, now).compareTo(stallAfter) >= 0;
        if (stalledNow && stalledSince == null) {
            stalledSince = now;
            LOG.warn(
                    "{}: nothing committed for {} s while {} has {} offsets unread; /health answers 503 until it "
                            + "moves again",
                    who,
                    Duration.between(movingAt, now).toSeconds(),
                    topic,
                    waiting);
        } else if (!stalledNow && stalledSince != null) {
            LOG.info(
                    "{}: moving again after {} s ({} offsets of {} unread)",
                    who,
                    Duration.between(stalledSince, now).toSeconds(),
                    waiting,
                    topic);
            stalledSince = null;
        }
    }

    /** Reads the offsets from the cluster once and observes them. */
    void sample(Admin admin, Duration timeout, Instant now) throws Exception {
        long ms = timeout.toMillis();
        TopicDescription d = admin.describeTopics(List.of(topic))
                .allTopicNames()
                .get(ms, TimeUnit.MILLISECONDS)
                .get(topic);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        d.partitions().forEach(p -> {
            latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
            earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
        });
        ListOffsetsOptions readCommitted = new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);
        Map<TopicPartition, OffsetAndMetadata> group = admin.listConsumerGroupOffsets(groupId)
                .partitionsToOffsetAndMetadata()
                .get(ms, TimeUnit.MILLISECONDS);
        Map<Integer, Long> groupOffsets = new HashMap<>();
        group.forEach((tp, om) -> {
            if (om != null && tp.topic().equals(topic)) {
                groupOffsets.put(tp.partition(), om.offset());
            }
        });
        observe(
                groupOffsets,
                byPartition(admin.listOffsets(earliest, readCommitted).all().get(ms, TimeUnit.MILLISECONDS)),
                byPartition(admin.listOffsets(latest, readCommitted).all().get(ms, TimeUnit.MILLISECONDS)),
                now);
    }

    private static Map<Integer, Long> byPartition(Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> m) {
        Map<Integer, Long> out = new HashMap<>();
        m.forEach((tp, info) -> out.put(tp.partition(), info.offset()));
        return out;
    }

    /** False once records have waited {@code stallAfter} with no commit; true while unknown. */
    public boolean progressing() {
        return stalledSince == null;
    }

    public String groupId() {
        return groupId;
    }

    /** The webhook target this group delivers to, or null for the monitor's stream. */
    public String target() {
        return target;
    }

    /** Offsets of the topic the group has yet to read (records and commit markers); -1 until first seen. */
    public long lag() {
        return lag;
    }

    /** The fields {@code /health} adds: the stream's state by its offsets, the lag, the last commit seen. */
    public String healthFields() {
        long waiting = lag;
        Instant stalled = stalledSince;
        String state =
                waiting < 0 ? "unknown" : stalled != null ? "stalled" : waiting == 0 ? "caught_up" : "progressing";
        StringBuilder b = new StringBuilder("\"progress\":\"").append(state).append('"');
        if (waiting >= 0) {
            b.append(",\"lag\":").append(waiting);
        }
        Instant commit = lastCommitSeen;
        if (commit != null) {
            b.append(",\"last_commit_seen\":\"").append(commit).append('"');
        }
        if (stalled != null) {
            b.append(",\"stalled_since\":\"").append(stalled).append('"');
        }
        return b.toString();
    }
}
