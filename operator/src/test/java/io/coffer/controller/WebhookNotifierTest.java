package io.coffer.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.coffer.api.Backup;
import io.coffer.status.Reason;
import io.coffer.testing.Specs;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failure notifications against a real local HTTP receiver (the JDK's HttpServer on a free port):
 * the CloudEvents body, one delivery per transition however often it is recorded, a retry after a
 * 503, successes only when asked for, and the URL (a secret) in no log line.
 */
class WebhookNotifierTest {
  HttpServer receiver;
  final List<String> bodies = new CopyOnWriteArrayList<>();
  final List<String> contentTypes = new CopyOnWriteArrayList<>();
  final AtomicInteger failFirst = new AtomicInteger(1);
  final List<String> log = new CopyOnWriteArrayList<>();
  URI url;

  @BeforeEach
  void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook/T0K3N-secret",
        x -> {
          byte[] body = x.getRequestBody().readAllBytes();
          int code = failFirst.getAndDecrement() > 0 ? 503 : 200;
          if (code == 200) {
            bodies.add(new String(body, StandardCharsets.UTF_8));
            contentTypes.add(x.getRequestHeaders().getFirst("Content-Type"));
          }
          x.sendResponseHeaders(code, -1);
          x.close();
        });
    receiver.start();
    url = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook/T0K3N-secret");
  }

  @AfterEach
  void stop() {
    receiver.stop(0);
  }

  static Backup backup() {
    return Specs.backup("rayerp", "nightly").uid("1234abcd-0000").build();
  }

  void awaitBodies(int n) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (bodies.size() < n && System.nanoTime() < deadline) Thread.sleep(20);
  }

  @Test
  void givenAFailureRecordedTwice_thenOneCloudEventArrives_afterARetry_andSuccessesStayQuiet()
      throws Exception {
    Clock clock = Clock.fixed(Instant.parse("2026-12-07T02:00:00Z"), ZoneOffset.UTC);
    try (WebhookNotifier n = new WebhookNotifier(url, false, clock, log::add, 10)) {
      n.notify(backup(), true, Reason.Failed, "spec.storage.s3.endpoint refused the connection");
      n.notify(backup(), true, Reason.Failed, "spec.storage.s3.endpoint refused the connection");
      n.notify(backup(), false, Reason.Succeeded, "stored 4 KiB");
      n.notify(backup(), true, Reason.AttemptFailed, "attempt 1 failed");
      awaitBodies(1);
      Thread.sleep(300);
    }
    assertThat(bodies).as("one delivery: the 503 was retried, the repeat dropped").hasSize(1);
    assertThat(contentTypes.get(0)).startsWith("application/cloudevents+json");
    JsonNode e = new ObjectMapper().readTree(bodies.get(0));
    assertThat(e.get("specversion").asText()).isEqualTo("1.0");
    assertThat(e.get("type").asText()).isEqualTo("io.coffer.backup.failed");
    assertThat(e.get("source").asText())
        .isEqualTo("/apis/coffer.io/v1alpha1/namespaces/rayerp/backups/nightly");
    assertThat(e.get("subject").asText()).isEqualTo("rayerp/nightly");
    assertThat(e.get("time").asText()).isEqualTo("2026-12-07T02:00:00Z");
    assertThat(e.get("id").asText()).startsWith("1234abcd-0000/Failed/");
    assertThat(e.get("text").asText())
        .isEqualTo(
            ":x: Coffer: Backup rayerp/nightly failed: spec.storage.s3.endpoint refused the"
                + " connection");
    assertThat(e.get("data").get("reason").asText()).isEqualTo("Failed");
    assertThat(e.get("data").get("severity").asText()).isEqualTo("warning");
    assertThat(String.join("\n", log)).doesNotContain("T0K3N");
  }

  @Test
  void givenOnSuccess_thenSuccessesArriveToo() throws Exception {
    failFirst.set(0);
    try (WebhookNotifier n = new WebhookNotifier(url, true, Clock.systemUTC(), log::add, 10)) {
      n.notify(backup(), false, Reason.Succeeded, "stored 4 KiB");
      awaitBodies(1);
    }
    assertThat(bodies)
        .singleElement()
        .asString()
        .contains("\"type\":\"io.coffer.backup.succeeded\"");
  }

  @Test
  void givenAReceiverThatIsGone_thenTheNotificationIsGivenUp_withoutTheUrlInTheLog()
      throws Exception {
    receiver.stop(0);
    try (WebhookNotifier n = new WebhookNotifier(url, false, Clock.systemUTC(), log::add, 5)) {
      n.notify(backup(), true, Reason.Failed, "boom");
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (log.isEmpty() && System.nanoTime() < deadline) Thread.sleep(20);
    }
    assertThat(log)
        .singleElement()
        .asString()
        .contains("could not be reached")
        .doesNotContain("T0K3N")
        .doesNotContain("127.0.0.1");
  }

  @Test
  void givenAUrlFile_thenItIsRead_andNonsenseIsRefusedWithoutEchoingIt(@TempDir Path dir)
      throws Exception {
    Path good = Files.writeString(dir.resolve("url"), url + "\n");
    assertThat(WebhookNotifier.readUrl(good)).isEqualTo(url);
    Path bad = Files.writeString(dir.resolve("bad"), "ftp://secret-host/T0K3N");
    assertThatThrownBy(() -> WebhookNotifier.readUrl(bad))
        .hasMessageContaining("is not an http(s) URL")
        .hasMessageNotContaining("T0K3N");
  }
}
