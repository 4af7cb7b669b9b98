package io.coffer.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.ConfigBuilder;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console's own HTTP rules, before any call reaches Kubernetes: the page and its headers, the
 * refusals of a request without a token, of a change without the console's header, of a foreign
 * Host. Simulated: the API server (an address where nothing listens: every test here must be
 * decided before the console would call it).
 */
class ConsoleServerTest {
  static ConsoleServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    server =
        new ConsoleServer(
            Users.forwardedToken(
                new ConfigBuilder(io.fabric8.kubernetes.client.Config.empty())
                    .withMasterUrl("https://127.0.0.1:1")
                    .build()),
            new ConsoleServer.Settings(InetAddress.getLoopbackAddress(), 0, List.of("rayerp")));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void thePageComesFromTheJarWithAStrictContentSecurityPolicy() throws Exception {
    var page = send(HttpRequest.newBuilder(URI.create(server.url())));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("<script type=\"module\" src=\"/app.js\">");
    assertThat(page.headers().firstValue("Content-Security-Policy"))
        .hasValueSatisfying(v -> assertThat(v).contains("default-src 'self'"));
    var js = send(HttpRequest.newBuilder(URI.create(server.url() + "app.js")));
    assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
    assertThat(js.body()).contains("new EventSource('/api/watch?");
    assertThat(send(HttpRequest.newBuilder(URI.create(server.url() + "../pom.xml"))).statusCode())
        .isEqualTo(404);
  }

  @Test
  void givenNoBearerToken_thenTheApiAnswers401WithWhatToDo() throws Exception {
    var r = send(HttpRequest.newBuilder(URI.create(server.url() + "api/session")));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("no bearer token").contains("authenticating proxy");
  }

  @Test
  void givenABlankOrMalformedToken_thenItIsRefused_neverSentOnAsAnonymous() throws Exception {
    var blank =
        send(
            HttpRequest.newBuilder(URI.create(server.url() + "api/session"))
                .header("Authorization", "Bearer    "));
    assertThat(blank.statusCode()).isEqualTo(401);
    assertThat(blank.body()).contains("no bearer token");
    var odd =
        send(
            HttpRequest.newBuilder(URI.create(server.url() + "api/session"))
                .header("X-Forwarded-Access-Token", "abc\"def;ghi"));
    assertThat(odd.statusCode()).isEqualTo(401);
    assertThat(odd.body()).contains("malformed").doesNotContain("ghi");
  }

  @Test
  void givenAChangeWithoutTheConsolesHeader_thenItIsRefusedBeforeAnyCall() throws Exception {
    var r =
        send(
            HttpRequest.newBuilder(URI.create(server.url() + "api/namespaces/rayerp/restores"))
                .header("Authorization", "Bearer x")
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("X-Coffer-Console");
  }

  @Test
  void givenAnotherNamespace_thenItIsNotServed() throws Exception {
    var r =
        send(
            HttpRequest.newBuilder(
                    URI.create(server.url() + "api/namespaces/kube-system/backups/x"))
                .header("Authorization", "Bearer x"));
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).contains("serves namespaces [rayerp], not kube-system");
    var logs =
        send(
            HttpRequest.newBuilder(
                    URI.create(server.url() + "api/namespaces/kube-system/logs/backups/x"))
                .header("Authorization", "Bearer x"));
    assertThat(logs.statusCode()).isEqualTo(404);
    assertThat(logs.body()).contains("not kube-system");
  }

  @Test
  void givenAnUnreachableApiServer_thenTheErrorSaysSoWithoutTheToken() throws Exception {
    var r =
        send(
            HttpRequest.newBuilder(URI.create(server.url() + "api/session"))
                .header("Authorization", "Bearer secret-token-123"));
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("cannot be reached").doesNotContain("secret-token-123");
  }
}
