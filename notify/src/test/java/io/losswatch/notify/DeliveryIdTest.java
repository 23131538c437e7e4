package io.losswatch.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.losswatch.events.AlertEvent;
import io.losswatch.events.AlertType;
import io.losswatch.events.EventJson;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DeliveryIdTest {
    private static final Instant T = Instant.parse("2026-11-27T05:00:00.123Z");

    @Test
    void shouldGiveTheSameIdToTheSameEventHoweverOftenItIsRead() throws Exception {
        AlertEvent a = TestAlerts.firing("run-1", AlertType.LOSS_EXPONENTIAL_GROWTH, 37, T);
        AlertEvent again = EventJson.parseAlert(EventJson.writeAlert(a));
        assertThat(DeliveryId.of(again)).isEqualTo(DeliveryId.of(a)).matches("[0-9a-f-]{36}");
    }

    @Test
    void shouldGiveAFiringAndItsResolvedDifferentIds() {
        AlertEvent a = TestAlerts.firing("run-1", AlertType.LOSS_EXPONENTIAL_GROWTH, 37, T);
        assertThat(DeliveryId.of(TestAlerts.resolved(a, 120, T.plusSeconds(60))))
                .isNotEqualTo(DeliveryId.of(a));
    }

    @Test
    void shouldGiveARecurringAlertIdANewDeliveryId() {
        // a run restarted under the same id can diverge at the same step again: a new alert, not a repeat
        AlertEvent first = TestAlerts.firing("run-1", AlertType.LOSS_EXPONENTIAL_GROWTH, 37, T);
        AlertEvent later = TestAlerts.firing("run-1", AlertType.LOSS_EXPONENTIAL_GROWTH, 37, T.plusSeconds(3600));
        assertThat(later.alertId()).isEqualTo(first.alertId());
        assertThat(DeliveryId.of(later)).isNotEqualTo(DeliveryId.of(first));
    }
}
