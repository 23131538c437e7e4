package io.losswatch.notify;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Sends one request to a target and says how it went. Thin on purpose: what is sent is decided elsewhere. */
public final class WebhookSender {
    static final String USER_AGENT = "losswatch-notify/0.1";
    private static final int MAX_PROBLEM_BODY = 200;

    private final HttpClient client;
    private final Duration timeout;
    private final Clock clock;

    public WebhookSender(Duration timeout, Clock clock) {
        this.timeout = timeout;
        this.clock = clock;
        this.client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                // a redirect would carry the signature and credentials elsewhere: configure the final URL
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /**
     * Sends one request to a throwaway loopback listener of its own, so that the first real alert does
     * not pay for loading and compiling the HTTP client's request path. Nothing leaves the machine; any
     * failure only means no warm-up.
     */
    void warmUp() {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(2000);
            Thread answer = new Thread(
                    () -> {
                        try (Socket s = server.accept()) {
                            s.setSoTimeout(2000);
                            BufferedReader in = new BufferedReader(
                                    new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                            String line;
                            while ((line = in.readLine()) != null && !line.isEmpty()) {
                                // the request's headers; its 2-byte body is left unread
                            }
                            s.getOutputStream()
                                    .write("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
                                            .getBytes(StandardCharsets.US_ASCII));
                        } catch (IOException e) {
                            // no warm-up, no harm
                        }
                    },
                    "losswatch-notify-warmup");
            answer.setDaemon(true);
            answer.start();
            HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getLocalPort() + "/warm-up"))
                    .timeout(Duration.ofSeconds(2))
                    .header("Content-Type", "application/json")
                    .header("User-Agent", USER_AGENT)
                    .POST(HttpRequest.BodyPublishers.ofByteArray("{}".getBytes(StandardCharsets.UTF_8)))
                    .build();
            client.sendAsync(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                    .get(3, TimeUnit.SECONDS);
            answer.join(1000);
        } catch (IOException | ExecutionException | TimeoutException | RuntimeException e) {
            // no warm-up, no harm
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The request as sent: the body is signed with a fresh timestamp when the target has a secret. */
    HttpRequest request(WebhookTarget target, String deliveryId, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(target.endpoint())
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("User-Agent", USER_AGENT)
                .header(DeliveryId.HEADER, deliveryId)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (target.secret() != null) {
            long ts = clock.instant().getEpochSecond();
            b.header(Signature.TIMESTAMP_HEADER, Long.toString(ts));
            b.header(Signature.SIGNATURE_HEADER, Signature.sign(target.secret(), ts, body));
        }
        target.basicAuthorization().ifPresent(v -> b.header("Authorization", v));
        target.headers().forEach(b::header);
        return b.build();
    }

    public Attempt send(WebhookTarget target, String deliveryId, byte[] body) throws InterruptedException {
        HttpResponse<String> r;
        CompletableFuture<HttpResponse<String>> pending = client.sendAsync(
                request(target, deliveryId, body), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        try {
            // the request timeout ends with the response headers; this bounds a body that trickles too
            r = pending.get(timeout.multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            pending.cancel(true);
            return new Attempt(
                    -1,
                    null,
                    "no complete answer within " + timeout.multipliedBy(2).toMillis() + " ms");
        } catch (InterruptedException e) {
            pending.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof HttpConnectTimeoutException) {
                return new Attempt(-1, null, "no connection within " + timeout.toMillis() + " ms");
            }
            if (c instanceof HttpTimeoutException) {
                return new Attempt(-1, null, "no answer within " + timeout.toMillis() + " ms");
            }
            return new Attempt(-1, null, target.redact(describe(c)));
        }
        int status = r.statusCode();
        Duration retryAfter = r.headers()
                .firstValue("Retry-After")
                .flatMap(v -> RetryAfter.parse(v, clock.instant()))
                .orElse(null);
        String text = r.body() == null ? "" : r.body();
        if (status >= 200 && status < 300) {
            return new Attempt(status, null, "");
        }
        String shown = text.strip().replaceAll("\\s+", " ");
        if (shown.length() > MAX_PROBLEM_BODY) {
            shown = shown.substring(0, MAX_PROBLEM_BODY) + "...";
        }
        return new Attempt(status, retryAfter, target.redact("HTTP " + status + (shown.isEmpty() ? "" : ": " + shown)));
    }

    private static String describe(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.net.ConnectException) {
                return "cannot connect"
                        + (c.getMessage() == null || c.getMessage().isBlank() ? "" : " (" + c.getMessage() + ")");
            }
        }
        Throwable t = e;
        // the JDK wraps the useful one (ConnectException: Connection refused) in a message-less one
        while ((t.getMessage() == null || t.getMessage().isBlank()) && t.getCause() != null) {
            t = t.getCause();
        }
        String kind = t.getClass().getSimpleName();
        return t.getMessage() == null || t.getMessage().isBlank() ? kind : kind + ": " + t.getMessage();
    }
}
