package io.losswatch.notify;

import com.sun.net.httpserver.HttpServer;
import io.losswatch.events.AlertEvent;
import io.losswatch.events.EventJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;

/**
 * A real HTTP receiver for the tests (the JDK's HttpServer on a free port): records every request and
 * answers with whatever status it is told to. It can go down (connection refused) and come back on
 * the same port.
 */
public final class Receiver implements AutoCloseable {
    /** One request as received, and the status it was answered with. */
    public record Request(Instant at, String path, Map<String, List<String>> headers, byte[] body, int answered) {
        public String header(String name) {
            return headers.entrySet().stream()
                    .filter(e -> e.getKey().equalsIgnoreCase(name))
                    .flatMap(e -> e.getValue().stream())
                    .findFirst()
                    .orElse(null);
        }

        public String deliveryId() {
            return header(DeliveryId.HEADER);
        }

        public boolean accepted() {
            return answered >= 200 && answered < 300;
        }

        public AlertEvent alert() {
            try {
                return EventJson.parseAlert(body);
            } catch (Exception e) {
                throw new AssertionError("not an alert event: " + new String(body), e);
            }
        }

        public boolean signedWith(String secret) {
            return Signature.verify(
                    secret, header(Signature.TIMESTAMP_HEADER), body, header(Signature.SIGNATURE_HEADER));
        }
    }

    private final int port;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile IntSupplier status = () -> 200;
    private volatile String retryAfter;
    private final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean hanging;
    private HttpServer server;

    private Receiver(int port) {
        this.port = port;
    }

    /** A receiver that is up. */
    public static Receiver start() {
        Receiver r = new Receiver(freePort());
        r.up();
        return r;
    }

    /** A receiver whose port is reserved in name only: nothing listens until {@link #up()}. */
    static Receiver down() {
        return new Receiver(freePort());
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized Receiver up() {
        if (server != null) {
            return this;
        }
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", ex -> {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            if (hanging) {
                try {
                    // takes the request and never answers, until the receiver is closed
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int code = status.getAsInt();
            requests.add(new Request(
                    Instant.now(), ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), body, code));
            if (retryAfter != null && code >= 300) {
                ex.getResponseHeaders().add("Retry-After", retryAfter);
            }
            byte[] out = (code < 300 ? "ok" : "not now").getBytes();
            ex.sendResponseHeaders(code, out.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(out);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "test-receiver-" + port);
            t.setDaemon(true);
            return t;
        }));
        server.start();
        return this;
    }

    /** Stops listening: connections are refused until {@link #up()}. */
    synchronized void goDown() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    Receiver answering(int code) {
        this.status = () -> code;
        return this;
    }

    /** Takes requests and never answers them (until closed): a target that times out. */
    Receiver hanging() {
        this.hanging = true;
        return this;
    }

    Receiver withRetryAfter(String value) {
        this.retryAfter = value;
        return this;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    int port() {
        return port;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    public List<Request> accepted() {
        return requests.stream().filter(Request::accepted).collect(Collectors.toList());
    }

    @Override
    public void close() {
        released.countDown();
        goDown();
    }
}
