package io.losswatch.detector;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.StepEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** One step being judged: the event, its run's state, and the alerts it produced (allocated only when there is one). */
final class Step {
    final RunState state;
    final StepEvent event;
    final Instant eventTime;
    final Instant now;
    private List<AlertEvent> alerts;

    Step(RunState state, StepEvent event, Instant eventTime, Instant now) {
        this.state = state;
        this.event = event;
        this.eventTime = eventTime;
        this.now = now;
    }

    long step() {
        return event.step();
    }

    void add(AlertEvent a) {
        if (alerts == null) {
            alerts = new ArrayList<>(2);
        }
        alerts.add(a);
    }

    List<AlertEvent> alerts() {
        return alerts == null ? List.of() : alerts;
    }
}
