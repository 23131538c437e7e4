package io.losswatch.notify;

import io.losswatch.events.AlertEvent;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The id a receiver uses to drop repeats. It is a function of the alert event alone, so every
 * attempt, every target and every notifier instance (before or after a restart) sends the same id
 * for the same event. {@code detected_at} is part of it because an {@code alert_id} can recur: a run
 * restarted under the same id can diverge at the same step again, and that is a new alert.
 */
public final class DeliveryId {
    public static final String HEADER = "X-Losswatch-Delivery";

    private DeliveryId() {}

    public static String of(AlertEvent a) {
        String key = a.alertId() + "\n" + (a.status() == null ? "" : a.status().wire()) + "\n"
                + (a.detectedAt() == null ? "" : a.detectedAt().toString());
        return UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
