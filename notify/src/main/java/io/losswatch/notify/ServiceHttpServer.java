package io.losswatch.notify;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code /metrics} (Prometheus text) and {@code /health}: 200 only while the service runs and, given a
 * {@link BrokerWatch}, its Kafka broker answers and the watched stream is not stalled; 503 otherwise,
 * as a readiness probe expects.
 */
public final class ServiceHttpServer implements AutoCloseable {
    private final HttpServer server;

    public ServiceHttpServer(
            String host, int port, PrometheusMeterRegistry registry, BooleanSupplier healthy, Supplier<String> state)
            throws IOException {
        this(host, port, registry, healthy, state, null);
    }

    public ServiceHttpServer(
            String host,
            int port,
            PrometheusMeterRegistry registry,
            BooleanSupplier healthy,
            Supplier<String> state,
            BrokerWatch broker)
            throws IOException {
        server = HttpServer.create(new InetSocketAddress(host, port), 16);
        server.createContext("/metrics", ex -> {
            if (!allowGet(ex)) {
                return;
            }
            respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
        });
        server.createContext("/health", ex -> {
            if (!allowGet(ex)) {
                return;
            }
            boolean up = healthy.getAsBoolean() && (broker == null || (broker.reachable() && broker.progressing()));
            respond(
                    ex,
                    up ? 200 : 503,
                    "application/json",
                    "{\"status\":\"" + (up ? "UP" : "DOWN") + "\",\"streams\":\"" + state.get() + "\""
                            + (broker == null ? "" : "," + broker.healthFields()) + "}\n");
        });
        server.createContext("/", ex -> respond(ex, 404, "text/plain", "not found: try /metrics or /health\n"));
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "losswatch-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static boolean allowGet(HttpExchange ex) throws IOException {
        if ("GET".equals(ex.getRequestMethod()) || "HEAD".equals(ex.getRequestMethod())) {
            return true;
        }
        ex.getResponseHeaders().add("Allow", "GET, HEAD");
        respond(ex, 405, "text/plain", "method not allowed\n");
        return false;
    }

    private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", contentType);
        boolean head = "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream os = ex.getResponseBody()) {
                os.write(bytes);
            }
        }
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
