package io.coffer.controller;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * /healthz (the operator runs), /readyz (its informers are healthy) and /metrics (Micrometer's
 * Prometheus text: the resources counted from the controllers' informer caches, so a scrape costs
 * the API server nothing; a standby replica, whose controllers wait for the lease, reports no
 * resources, so the leader's figures are not counted twice; and the operator SDK's meters).
 */
public final class OperatorHttp implements AutoCloseable {
  private final HttpServer server;

  /**
   * {@code caches}: the ones given to {@link
   * CofferOperator#create(io.fabric8.kubernetes.client.KubernetesClient, CofferOperator.Config,
   * Caches)}.
   */
  public OperatorHttp(int port, Operator operator, Caches caches) throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext(
        "/healthz", ex -> reply(ex, operator.getRuntimeInfo().isStarted() ? 200 : 503, "ok\n"));
    server.createContext(
        "/readyz",
        ex -> {
          boolean ready =
              operator.getRuntimeInfo().isStarted()
                  && operator.getRuntimeInfo().allEventSourcesAreHealthy();
          reply(ex, ready ? 200 : 503, ready ? "ok\n" : "informers not ready\n");
        });
    server.createContext(
        "/metrics",
        ex -> {
          try {
            reply(
                ex,
                200,
                caches.metrics().scrape(caches.backups(), caches.restores(), caches.schedules()));
          } catch (RuntimeException e) {
            reply(ex, 500, "cannot count resources: " + e.getClass().getSimpleName() + "\n");
          }
        });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void reply(HttpExchange ex, int code, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    ex.sendResponseHeaders(code, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
