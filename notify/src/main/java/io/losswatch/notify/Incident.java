package io.losswatch.notify;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertStatus;
import io.losswatch.events.Severity;
import java.time.Instant;

/**
 * An alert event as a receiver should see it. A {@code resolved} event carries no severity or
 * diagnosis of its own, so it is shown with those of the {@code firing} it ends (when that is
 * known): Alertmanager can only end an alert whose labels are exactly those it was raised with.
 *
 * @param event the event being delivered
 * @param firing the firing event with the same {@code alert_id}: {@code event} itself when firing,
 *               null when resolved and the firing is no longer on the topic
 * @param incidentId the {@code alert_id} of the run's alert that opened the incident this one belongs
 *               to: a run's alerts from the first firing until all have resolved are one incident
 * @param opensIncident this event is the incident's first: receivers show it in full
 * @param closesIncident this resolved event is the incident's last: all of its alerts have cleared
 */
public record Incident(
        AlertEvent event, AlertEvent firing, String incidentId, boolean opensIncident, boolean closesIncident) {

    /** An alert on its own: its own incident, opened by its firing and closed by its resolution. */
    public Incident(AlertEvent event, AlertEvent firing) {
        this(
                event,
                firing,
                (firing != null ? firing : event).alertId(),
                event.status() == AlertStatus.FIRING,
                event.status() == AlertStatus.RESOLVED);
    }

    public static Incident of(AlertEvent event, FiringIndex index) {
        AlertEvent firing = event.status() == AlertStatus.FIRING ? event : index.firingOf(event);
        String incident = index.incidentOf(event);
        return new Incident(
                event,
                firing,
                incident,
                event.status() == AlertStatus.FIRING && incident.equals(event.alertId()),
                event.status() == AlertStatus.RESOLVED && index.closesIncident(event));
    }

    public static Incident firing(AlertEvent event) {
        return new Incident(event, event);
    }

    /** The event that describes the trouble: the firing when known. */
    public AlertEvent origin() {
        return firing != null ? firing : event;
    }

    public boolean resolved() {
        return event.status() == AlertStatus.RESOLVED;
    }

    public Severity severity() {
        return origin().severity() == null ? Severity.WARNING : origin().severity();
    }

    public AlertEvent.Diagnosis diagnosis() {
        return origin().diagnosis();
    }

    /** When the trouble was first reported. */
    public Instant startedAt() {
        Instant t = origin().detectedAt();
        return t != null ? t : event.detectedAt() != null ? event.detectedAt() : event.time();
    }

    /** When the event being delivered was decided. */
    public Instant decidedAt() {
        return event.detectedAt() != null ? event.detectedAt() : event.time();
    }
}
