package io.coffer.engine;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.storage.BackupIds;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.ShareRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A backup's stored archive served over HTTP for a while, where the storage has no URL to sign (a
 * volume): {@code GET /<token>/<file name>} answers the archive as stored (encrypted when the
 * backup is), with its length and SHA-256; {@code GET /healthz} answers ok; anything else 404. The
 * token is the only key: compared in constant time, never logged.
 */
final class ArchiveServer {
  private static final Pattern TOKEN = Pattern.compile("^[0-9a-f]{64}$");

  private ArchiveServer() {}

  /** Serves until {@code until}; returns how many downloads went through to the end. */
  static int serve(
      Storage storage,
      BackupDescriptor d,
      ShareRequest.Serve serve,
      Instant until,
      String fileName,
      EngineLog log)
      throws IOException {
    if (serve.token() == null || !TOKEN.matcher(serve.token()).matches())
      throw CofferException.usage("a served download needs a token of 64 hex digits");
    if (serve.port() < 1 || serve.port() > 65535)
      throw CofferException.usage("a served download needs a port 1 to 65535, not " + serve.port());
    String key = BackupIds.key(d.id(), d.archive());
    byte[] path = ("/" + serve.token() + "/" + fileName).getBytes(StandardCharsets.UTF_8);
    AtomicInteger served = new AtomicInteger();
    AtomicInteger active = new AtomicInteger();
    AtomicBoolean closing = new AtomicBoolean();
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(serve.port()), 16);
    } catch (BindException e) {
      throw new CofferException(
          ExitCode.USAGE,
          "port " + serve.port() + " is taken in this pod: the download cannot be served",
          e);
    }
    ExecutorService threads =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "archive-server");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(threads);
    server.createContext(
        "/",
        ex -> {
          try (ex) {
            String asked = ex.getRequestURI().getRawPath();
            boolean get = ex.getRequestMethod().equals("GET");
            if (!get && !ex.getRequestMethod().equals("HEAD")) {
              answer(ex, 405, "GET only");
              return;
            }
            if (asked.equals("/healthz")) {
              answer(ex, 200, "ok");
              return;
            }
            if (!MessageDigest.isEqual(asked.getBytes(StandardCharsets.UTF_8), path)) {
              answer(ex, 404, "no such download");
              return;
            }
            var h = ex.getResponseHeaders();
            h.set("Content-Type", "application/octet-stream");
            h.set("Content-Disposition", "attachment; filename=\"" + fileName + "\"");
            h.set("X-Coffer-Sha256", d.sha256());
            if (!get) {
              h.set("Content-Length", String.valueOf(d.storedSize()));
              ex.sendResponseHeaders(200, -1);
              return;
            }
            if (closing.get()) {
              answer(ex, 404, "no such download");
              return;
            }
            active.incrementAndGet();
            try {
              ex.sendResponseHeaders(200, d.storedSize());
              try (InputStream in = storage.open(key);
                  OutputStream out = ex.getResponseBody()) {
                in.transferTo(out);
              }
            } finally {
              active.decrementAndGet();
            }
            log.info("served the archive of backup " + d.id() + " once more");
            served.incrementAndGet();
          } catch (IOException | RuntimeException e) {
            // a browser that went away: the next GET starts again
            log.info(
                "a download of backup " + d.id() + " stopped: " + e.getClass().getSimpleName());
          }
        });
    server.start();
    log.info(
        "serving the archive of backup "
            + d.id()
            + " on port "
            + serve.port()
            + " until "
            + until
            + " (as stored"
            + (d.encrypted() ? ", age-encrypted" : "")
            + ")");
    try {
      while (Instant.now().isBefore(until)) {
        long left = Duration.between(Instant.now(), until).toMillis();
        Thread.sleep(Math.max(1, Math.min(left, 1000)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      // no new download from now on; those under way may finish (up to 10 minutes)
      closing.set(true);
      long last = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      try {
        while (active.get() > 0 && System.nanoTime() < last) Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      server.stop(0);
      threads.shutdownNow();
    }
    log.info("the download of backup " + d.id() + " expired after " + served.get() + " downloads");
    return served.get();
  }

  private static void answer(HttpExchange ex, int code, String text) throws IOException {
    byte[] b = (text + "\n").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(code, ex.getRequestMethod().equals("HEAD") ? -1 : b.length);
    if (!ex.getRequestMethod().equals("HEAD")) ex.getResponseBody().write(b);
  }
}
