package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.engine.storage.FileStorage;
import io.coffer.protocol.Request;
import io.coffer.protocol.ShareRequest;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A volume's backup served for a Download: the archive as stored under its token and file name,
 * with its length and SHA-256; a wrong token, another path or another method gets nothing; the
 * server ends on time and says how many downloads went through. Real HTTP on a free port; nothing
 * simulated but the pod (this JVM).
 */
class ArchiveServerTest {
  @TempDir Path tmp;

  @Test
  void givenAToken_thenOnlyItsPathServesTheArchive_untilTheTimeRunsOut() throws Exception {
    Path tree = Files.createDirectories(tmp.resolve("uploads"));
    Files.writeString(tree.resolve("contract.txt"), "signed by both parties");
    List<String> lines = new ArrayList<>();
    Engine.backup(
        TestRequests.backup(
            "served",
            "files",
            new Request.StorageRef(tmp.resolve("store").toUri().toString()),
            List.of(),
            List.of(new Request.Tree("uploads", tree.toString()))),
        new Engine.Context(new EngineLog(lines::add), new Progress(), Map.of()));
    FileStorage storage = new FileStorage(tmp.resolve("store"));
    BackupDescriptor d = new BackupStore(storage).descriptor("served");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String token = "ab".repeat(32);
    String file = "served-" + d.archive();
    CompletableFuture<Integer> served =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return ArchiveServer.serve(
                    storage,
                    d,
                    new ShareRequest.Serve(port, token),
                    Instant.now().plusSeconds(4),
                    file,
                    new EngineLog(lines::add));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + port;
    int health = 0;
    for (int i = 0; i < 50 && health != 200; i++) {
      try {
        health = get(http, base + "/healthz").statusCode();
      } catch (java.io.IOException e) {
        Thread.sleep(100);
      }
    }
    assertThat(health).isEqualTo(200);
    HttpResponse<byte[]> got = get(http, base + "/" + token + "/" + file);
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.body()).hasSize((int) d.storedSize());
    assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(got.body())))
        .isEqualTo(d.sha256())
        .isEqualTo(got.headers().firstValue("X-Coffer-Sha256").orElseThrow());
    assertThat(got.headers().firstValue("Content-Disposition").orElseThrow()).contains(file);
    assertThat(get(http, base + "/" + "cd".repeat(32) + "/" + file).statusCode()).isEqualTo(404);
    assertThat(get(http, base + "/" + token + "/other.zip").statusCode()).isEqualTo(404);
    assertThat(get(http, base + "/").statusCode()).isEqualTo(404);
    assertThat(
            http.send(
                    HttpRequest.newBuilder(URI.create(base + "/" + token + "/" + file))
                        .DELETE()
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .isEqualTo(405);
    assertThat(served.get()).as("ends on time, one download through").isEqualTo(1);
    assertThat(String.join("\n", lines)).doesNotContain(token);
    assertThatThrownBy(() -> get(http, base + "/healthz")).isInstanceOf(java.io.IOException.class);
    assertThatThrownBy(
            () ->
                ArchiveServer.serve(
                    storage,
                    d,
                    new ShareRequest.Serve(port, "short"),
                    Instant.now(),
                    file,
                    new EngineLog(null)))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("64 hex digits");
  }

  static HttpResponse<byte[]> get(HttpClient http, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
