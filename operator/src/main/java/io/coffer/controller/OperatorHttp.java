package io.coffer.controller;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.Restore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/** /healthz (the operator runs), /readyz (its informers are healthy) and /metrics (Prometheus text). */
public final class OperatorHttp implements AutoCloseable {
  private final HttpServer server;

  public OperatorHttp(int port, Operator operator, KubernetesClient client, Set<String> namespaces) throws IOException {
    server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/healthz", ex -> reply(ex, operator.getRuntimeInfo().isStarted() ? 200 : 503, "ok\n"));
    server.createContext("/readyz", ex -> {
      boolean ready = operator.getRuntimeInfo().isStarted() && operator.getRuntimeInfo().allEventSourcesAreHealthy();
      reply(ex, ready ? 200 : 503, ready ? "ok\n" : "informers not ready\n");
    });
    server.createContext("/metrics", ex -> {
      try {
        reply(ex, 200, Metrics.render(list(client, Backup.class, namespaces), list(client, Restore.class, namespaces),
            list(client, BackupSchedule.class, namespaces)));
      } catch (RuntimeException e) {
        reply(ex, 500, "cannot list resources: " + e.getClass().getSimpleName() + "\n");
      }
    });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static <T extends io.fabric8.kubernetes.api.model.HasMetadata> List<T> list(KubernetesClient client, Class<T> type, Set<String> ns) {
    if (ns.isEmpty()) return client.resources(type).inAnyNamespace().list().getItems();
    return ns.stream().flatMap(n -> client.resources(type).inNamespace(n).list().getItems().stream()).toList();
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
