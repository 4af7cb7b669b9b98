package io.coffer.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fabric8 mock API in CRUD mode, plus what CRUD mode lacks and a kubelet provides: pod logs,
 * served from the files the {@link LocalKubelet} writes while it runs a pod.
 */
public final class MockKubernetes implements AutoCloseable {
  private static final Pattern LOG =
      Pattern.compile("^/api/v1/namespaces/([^/]+)/pods/([^/?]+)/log(\\?.*)?$");
  private static final Pattern TAIL = Pattern.compile("[?&]tailLines=(\\d+)");

  /**
   * The mock web server logs every request through java.util.logging; kept (strongly) at WARNING.
   */
  private static final Logger QUIET = Logger.getLogger("io.fabric8.mockwebserver");

  static {
    QUIET.setLevel(Level.WARNING);
  }

  private final Map<String, Path> logs = new ConcurrentHashMap<>();
  private final KubernetesMockServer server;
  private final KubernetesClient client;

  public MockKubernetes() {
    KubernetesCrudDispatcher dispatcher =
        new KubernetesCrudDispatcher() {
          @Override
          public MockResponse handleCreate(io.fabric8.mockwebserver.http.RecordedRequest request) {
            // what the API server answers a client asking what it may do: everything (leader
            // election asks about Leases)
            if (request
                .getPath()
                .startsWith("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")) {
              return new MockResponse()
                  .setResponseCode(201)
                  .setBody(
                      "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectRulesReview\","
                          + "\"status\":{\"resourceRules\":[{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],\"resources\":[\"*\"]}],"
                          + "\"nonResourceRules\":[],\"incomplete\":false}}");
            }
            return super.handleCreate(request);
          }

          @Override
          public MockResponse handleGet(String path) {
            Matcher m = LOG.matcher(path);
            if (!m.matches()) return super.handleGet(path);
            Path file = logs.get(m.group(1) + "/" + m.group(2));
            if (file == null)
              return new MockResponse()
                  .setResponseCode(404)
                  .setBody("{\"kind\":\"Status\",\"code\":404}");
            try {
              List<String> lines = Files.readAllLines(file);
              Matcher t = TAIL.matcher(m.group(3) == null ? "" : m.group(3));
              if (t.find())
                lines =
                    lines.subList(
                        Math.max(0, lines.size() - Integer.parseInt(t.group(1))), lines.size());
              return new MockResponse()
                  .setResponseCode(200)
                  .setBody(String.join("\n", lines) + "\n");
            } catch (IOException e) {
              return new MockResponse().setResponseCode(500).setBody(e.toString());
            }
          }
        };
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init();
    client = server.createClient();
  }

  public KubernetesClient client() {
    return client;
  }

  /** Where a pod's log is, for the log endpoint. */
  public void servePodLog(String namespace, String pod, Path file) {
    logs.put(namespace + "/" + pod, file);
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
