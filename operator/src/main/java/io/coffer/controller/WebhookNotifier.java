package io.coffer.controller;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.coffer.status.Reason;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Failure notifications: a CloudEvents 1.0 JSON body (structured mode) POSTed to a webhook for each
 * failure the operator records (a Backup or Restore Failed, a copy given up, a verification failed,
 * an oplog gap, a missed RPO), and with {@code onSuccess} for each success too. The body carries a
 * Slack-compatible {@code text} beside the event's {@code data}; both are made of the resource's
 * names and the event's message, which never hold a secret. Each is sent from a background thread,
 * retried with back-off (1, 2, 4, 8 s) on a network error, 429 or 5xx; its {@code id} is the same
 * for the same transition, so a receiver can drop a repeat (a reconcile retried after a status
 * conflict records its event again; this process sends it once). The URL is a secret (Slack's holds
 * a token): it is read from a mounted file and never logged.
 */
public final class WebhookNotifier implements Notifier, AutoCloseable {
  /** What is sent: failures always, successes with {@code onSuccess}. */
  static final Set<Reason> FAILURES =
      Set.of(
          Reason.Failed,
          Reason.CopyGaveUp,
          Reason.VerificationFailed,
          Reason.OplogGap,
          Reason.RpoMissed,
          Reason.DrillFailed);

  static final Set<Reason> SUCCESSES =
      Set.of(Reason.Succeeded, Reason.Copied, Reason.Verified, Reason.DrillPassed);

  private static final int ATTEMPTS = 5;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI url;
  private final boolean onSuccess;
  private final Clock clock;
  private final Consumer<String> log;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final BlockingQueue<ObjectNode> queue = new ArrayBlockingQueue<>(1000);
  private final Map<String, Boolean> sent =
      new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > 10_000;
        }
      };
  private final Thread sender;
  private volatile boolean closed;
  private final long backoffMillis;

  public WebhookNotifier(URI url, boolean onSuccess, Clock clock, Consumer<String> log) {
    this(url, onSuccess, clock, log, 1000);
  }

  WebhookNotifier(
      URI url, boolean onSuccess, Clock clock, Consumer<String> log, long backoffMillis) {
    this.url = url;
    this.onSuccess = onSuccess;
    this.clock = clock;
    this.log = log;
    this.backoffMillis = backoffMillis;
    this.sender = new Thread(this::sendLoop, "coffer-notify");
    sender.setDaemon(true);
    sender.start();
  }

  /**
   * The webhook URL from a file (a mounted Secret key): one line, http or https; what is wrong,
   * without the URL itself.
   */
  public static URI readUrl(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8).strip();
    URI u;
    try {
      u = URI.create(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the notification webhook in " + file + " is not a URL: give one http(s):// line");
    }
    if (u.getScheme() == null
        || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
        || u.getHost() == null)
      throw new IllegalArgumentException(
          "the notification webhook in " + file + " is not an http(s) URL: give one line");
    return u;
  }

  @Override
  public void notify(HasMetadata about, boolean warning, Reason reason, String message) {
    if (!(FAILURES.contains(reason) || (onSuccess && SUCCESSES.contains(reason)))) return;
    ObjectNode event = event(about, warning, reason, message, clock.instant());
    String id = event.get("id").asText();
    synchronized (sent) {
      if (sent.put(id, Boolean.TRUE) != null) return; // recorded again: sent once
    }
    if (!queue.offer(event))
      log.accept("notification webhook: 1000 notifications wait; this one is dropped: " + id);
  }

  /** The CloudEvent of one transition. */
  static ObjectNode event(
      HasMetadata about, boolean warning, Reason reason, String message, Instant now) {
    String kind = about.getKind() == null ? "Resource" : about.getKind();
    String ns = about.getMetadata().getNamespace();
    String name = about.getMetadata().getName();
    ObjectNode e = JSON.createObjectNode();
    e.put("specversion", "1.0");
    e.put("id", about.getMetadata().getUid() + "/" + reason.name() + "/" + digest(message));
    e.put(
        "source",
        "/apis/coffer.io/v1alpha1/namespaces/"
            + ns
            + "/"
            + kind.toLowerCase(Locale.ROOT)
            + "s/"
            + name);
    e.put("type", "io.coffer." + kind.toLowerCase(Locale.ROOT) + "." + verb(reason));
    e.put("subject", ns + "/" + name);
    e.put("time", now.truncatedTo(ChronoUnit.SECONDS).toString());
    e.put("datacontenttype", "application/json");
    String shortMessage = message.length() > 1500 ? message.substring(0, 1500) + "..." : message;
    e.put(
        "text",
        (warning ? ":x: " : ":white_check_mark: ")
            + "Coffer: "
            + kind
            + " "
            + ns
            + "/"
            + name
            + " "
            + verb(reason).replace('-', ' ')
            + ": "
            + shortMessage);
    ObjectNode data = e.putObject("data");
    data.put("kind", kind);
    data.put("namespace", ns);
    data.put("name", name);
    data.put("reason", reason.name());
    data.put("severity", warning ? "warning" : "info");
    data.put("message", shortMessage);
    return e;
  }

  private static String verb(Reason r) {
    return switch (r) {
      case Failed -> "failed";
      case CopyGaveUp -> "copy-failed";
      case VerificationFailed -> "verification-failed";
      case OplogGap -> "oplog-gap";
      case RpoMissed -> "rpo-missed";
      case DrillFailed -> "drill-failed";
      case DrillPassed -> "drill-passed";
      case Succeeded -> "succeeded";
      case Copied -> "copied";
      case Verified -> "verified";
      default -> r.name().toLowerCase(Locale.ROOT);
    };
  }

  private static String digest(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)))
          .substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void sendLoop() {
    while (!closed) {
      ObjectNode event;
      try {
        event = queue.poll(500, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (event != null) send(event);
    }
  }

  private void send(ObjectNode event) {
    String id = event.get("id").asText();
    byte[] body = event.toString().getBytes(StandardCharsets.UTF_8);
    String why = null;
    for (int attempt = 1; attempt <= ATTEMPTS && !closed; attempt++) {
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(url)
                    .timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/cloudevents+json; charset=utf-8")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        int code = r.statusCode();
        if (code / 100 == 2) return;
        why = "answered HTTP " + code;
        if (code != 429 && code < 500) break; // the receiver refuses it: no retry helps
      } catch (IOException e) {
        why = "could not be reached (" + e.getClass().getSimpleName() + ")";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      try {
        Thread.sleep(backoffMillis << (attempt - 1));
      } catch (InterruptedException e) {
        return;
      }
    }
    log.accept("notification webhook " + why + "; notification " + id + " was not delivered");
  }

  @Override
  public void close() {
    closed = true;
    sender.interrupt();
  }
}
