package io.coffer.console;

import com.sun.net.httpserver.HttpExchange;
import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.Restore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /api/watch?namespace=N...}: server-sent events, as the user. For each namespace and
 * kind the page first gets a {@code snapshot} (a list), then every {@code change} from a watch that
 * starts at the list's resource version, the way an informer does; when a watch ends (the API
 * server closes watches every few minutes, or says the version is too old) the stream ends with
 * {@code resync} and the browser's EventSource reconnects for a fresh snapshot. A comment line
 * every 15 s keeps proxies from closing the stream and notices a page that went away.
 */
final class LiveFeed implements AutoCloseable {
  private final Set<CountDownLatch> open = ConcurrentHashMap.newKeySet();

  private static final List<Class<? extends HasMetadata>> KINDS =
      List.of(Backup.class, BackupSchedule.class, Restore.class);

  void stream(HttpExchange ex, KubernetesClient kube, List<String> namespaces) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    ex.getResponseHeaders().set("X-Accel-Buffering", "no");
    CountDownLatch done = new CountDownLatch(1);
    List<Watch> watches = new ArrayList<>();
    OutputStream out = ex.getResponseBody();
    Object lock = new Object();
    open.add(done);
    try {
      // list everything first: a refused list (no rights) is an error the page can show, before the
      // stream starts
      List<Map<String, Object>> snapshots = new ArrayList<>();
      List<String> versions = new ArrayList<>();
      for (String ns : namespaces) {
        for (var kind : KINDS) {
          var list = kube.resources(kind).inNamespace(ns).list();
          List<Object> items = new ArrayList<>();
          for (HasMetadata r : list.getItems()) items.add(Views.of(r));
          Map<String, Object> s = new LinkedHashMap<>();
          s.put("kind", kind.getSimpleName());
          s.put("namespace", ns);
          s.put("items", items);
          snapshots.add(s);
          versions.add(list.getMetadata().getResourceVersion());
        }
      }
      ex.sendResponseHeaders(200, 0);
      synchronized (lock) {
        out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
        for (var s : snapshots) send(out, "snapshot", s);
        out.flush();
      }
      int i = 0;
      for (String ns : namespaces) {
        for (var kind : KINDS) {
          String version = versions.get(i++);
          watches.add(watch(kube, kind, ns, version, out, lock, done));
        }
      }
      while (!done.await(15, TimeUnit.SECONDS)) {
        synchronized (lock) {
          out.write(": still here\n\n".getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      }
      synchronized (lock) {
        send(out, "resync", Map.of("why", "a watch ended"));
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the page went away
    } finally {
      open.remove(done);
      watches.forEach(Watch::close);
      synchronized (lock) { // a watcher thread may be writing its last event
        try {
          out.close();
        } catch (IOException e) {
          // already gone
        }
      }
    }
  }

  private static <T extends HasMetadata> Watch watch(
      KubernetesClient kube,
      Class<T> kind,
      String ns,
      String version,
      OutputStream out,
      Object lock,
      CountDownLatch done) {
    return kube.resources(kind)
        .inNamespace(ns)
        .withResourceVersion(version)
        .watch(
            new Watcher<T>() {
              @Override
              public void eventReceived(Action action, T resource) {
                if (action == Action.BOOKMARK || action == Action.ERROR) return;
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("type", action.name());
                e.put("item", Views.of(resource));
                try {
                  synchronized (lock) {
                    send(out, "change", e);
                    out.flush();
                  }
                } catch (IOException x) {
                  done.countDown();
                }
              }

              @Override
              public void onClose(WatcherException cause) {
                done.countDown();
              }

              @Override
              public void onClose() {
                done.countDown();
              }
            });
  }

  private static void send(OutputStream out, String event, Object data) throws IOException {
    out.write(
        ("event: " + event + "\ndata: " + ConsoleServer.MAPPER.writeValueAsString(data) + "\n\n")
            .getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    open.forEach(CountDownLatch::countDown);
  }
}
