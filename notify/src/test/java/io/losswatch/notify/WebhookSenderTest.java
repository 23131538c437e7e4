package io.losswatch.notify;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookSenderTest {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC);
    private static final byte[] BODY = "{\"a\":1}".getBytes(UTF_8);
    private final WebhookSender sender = new WebhookSender(Duration.ofSeconds(3), CLOCK);

    @Test
    void shouldWarmUpAgainstItsOwnLoopbackListenerQuicklyAndLeaveNothingOpen() {
        long t0 = System.nanoTime();
        sender.warmUp();
        sender.warmUp(); // twice: each time a fresh listener, closed after
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().equals("losswatch-notify-warmup") && t.isAlive());
    }

    @Test
    void shouldSignTheBodyWithATimestampAndCarryTheDeliveryId() {
        WebhookTarget t = WebhookTarget.of("ci", "https://ci.example.com/hook", WebhookFormat.GENERIC, "s3cret", null);
        HttpRequest r = sender.request(t, "d-1", BODY);
        assertThat(r.uri()).isEqualTo(URI.create("https://ci.example.com/hook"));
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.timeout()).contains(Duration.ofSeconds(3));
        assertThat(r.headers().firstValue(DeliveryId.HEADER)).contains("d-1");
        assertThat(r.headers().firstValue(Signature.TIMESTAMP_HEADER)).contains("1700000000");
        assertThat(r.headers().firstValue(Signature.SIGNATURE_HEADER))
                .contains(Signature.sign("s3cret", 1_700_000_000L, BODY));
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
    }

    @Test
    void shouldSendNoSignatureWithoutASecret() {
        HttpRequest r = sender.request(WebhookTarget.of(null, "http://h:1/x", null, null, null), "d", BODY);
        assertThat(r.headers().firstValue(Signature.SIGNATURE_HEADER)).isEmpty();
        assertThat(r.headers().firstValue(Signature.TIMESTAMP_HEADER)).isEmpty();
    }

    @Test
    void shouldSendUrlCredentialsAsBasicAuthAndConfiguredHeaders() {
        WebhookTarget t = WebhookTarget.of(
                null, "http://u:p@am:9093", WebhookFormat.ALERTMANAGER, null, Map.of("X-Scope-OrgID", "ml"));
        HttpRequest r = sender.request(t, "d", BODY);
        assertThat(r.uri()).isEqualTo(URI.create("http://am:9093/api/v2/alerts"));
        assertThat(r.headers().firstValue("Authorization")).contains("Basic dTpw");
        assertThat(r.headers().firstValue("X-Scope-OrgID")).contains("ml");
    }
}
