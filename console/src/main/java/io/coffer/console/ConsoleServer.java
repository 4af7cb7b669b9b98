package io.coffer.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupSpec;
import io.coffer.api.Restore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.authentication.SelfSubjectReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code coffer console}: the page (from the jar) and the JSON API it calls. Every API call is made
 * as the person using the page ({@link Users}); the page asks {@code /api/session} which actions
 * that person may take (SelfSubjectAccessReview) and shows only those, and the API server refuses
 * the rest anyway. Live data comes from watches ({@code /api/watch}, server-sent events), logs from
 * the Job's pod ({@code pods/log}, followed while it runs).
 */
public final class ConsoleServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern NAMESPACED =
      Pattern.compile(
          "^/api/namespaces/([a-z0-9][-a-z0-9]*)/([a-z]+)(?:/([a-z0-9][-a-z0-9.]*))?(?:/([a-z]+))?$");
  private static final Pattern LOGS =
      Pattern.compile(
          "^/api/namespaces/([a-z0-9][-a-z0-9]*)/logs/(backups|restores)/([a-z0-9][-a-z0-9.]*)$");
  static final String VERIFY_ANNOTATION = "coffer.io/verify-requested";

  /**
   * The operator answers it with a Job that holds the storage credentials and a presigned URL in
   * status.download.
   */
  static final String DOWNLOAD_ANNOTATION = "coffer.io/download-requested";

  private static final Map<String, String> TYPES =
      Map.of(
          "html",
          "text/html; charset=utf-8",
          "js",
          "text/javascript; charset=utf-8",
          "css",
          "text/css; charset=utf-8",
          "svg",
          "image/svg+xml",
          "png",
          "image/png");

  /**
   * What the console is started with. {@code namespaces}: the ones it offers (the first is the
   * default).
   */
  public record Settings(
      InetAddress address, int port, List<String> namespaces, long uploadMaxBytes) {
    public Settings(InetAddress address, int port, List<String> namespaces) {
      this(address, port, namespaces, UPLOAD_MAX_MIB << 20);
    }
  }

  /**
   * The largest upload by default, in MiB: S3's limit for one PUT (5 GiB); {@code coffer console
   * --upload-max-mib}, the chart's console.upload.maxMiB.
   */
  public static final long UPLOAD_MAX_MIB = 5120;

  /** How long an upload waits for the operator's URL (its signing Job). */
  static final java.time.Duration URL_WAIT = java.time.Duration.ofSeconds(90);

  private final HttpServer server;
  private final Users users;
  private final Settings settings;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "console-http");
            t.setDaemon(true);
            return t;
          });
  private final LiveFeed feed = new LiveFeed();

  public ConsoleServer(Users users, Settings settings) throws IOException {
    this.users = users;
    this.settings = settings;
    server = HttpServer.create(new InetSocketAddress(settings.address(), settings.port()), 0);
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The address to open: http://127.0.0.1:PORT/. */
  public String url() {
    String host =
        settings.address().isAnyLocalAddress() ? "127.0.0.1" : settings.address().getHostAddress();
    if (host.contains(":")) host = "[" + host + "]";
    return "http://" + host + ":" + port() + "/";
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    try {
      headers(ex);
      if (!hostAllowed(ex)) {
        error(
            ex,
            403,
            "the Host header "
                + ex.getRequestHeaders().getFirst("Host")
                + " is not this console's address: open "
                + url());
        return;
      }
      if (!path.startsWith("/api/")) {
        asset(ex, path);
        return;
      }
      String method = ex.getRequestMethod();
      if (!method.equals("GET")
          && !"1".equals(ex.getRequestHeaders().getFirst("X-Coffer-Console"))) {
        // a plain form post or a script on another site cannot send this header without the
        // console's consent (CORS)
        error(
            ex, 403, "a change needs the header X-Coffer-Console: 1 (sent by the console's page)");
        return;
      }
      try (Users.Lease lease = users.lease(ex)) {
        api(ex, lease.client(), method, path);
      }
    } catch (Users.Unauthenticated e) {
      error(ex, 401, e.getMessage());
    } catch (Forms.Invalid e) {
      error(ex, 400, e.getMessage());
    } catch (io.fabric8.kubernetes.client.ResourceNotFoundException e) {
      error(ex, 404, "not found: " + e.getMessage());
    } catch (KubernetesClientException e) {
      KubernetesClientException answered = answered(e);
      int code = answered.getCode() >= 400 && answered.getCode() < 600 ? answered.getCode() : 502;
      error(ex, code, apiMessage(e));
    } catch (IOException e) {
      LOG.debug("console: {} {}: {}", ex.getRequestMethod(), path, e.toString());
    } catch (RuntimeException e) {
      LOG.warn("console: {} {} failed", ex.getRequestMethod(), path, e);
      error(
          ex,
          500,
          "the console failed on this request ("
              + e.getClass().getSimpleName()
              + "); its log says more");
    } finally {
      ex.close();
    }
  }

  private void api(HttpExchange ex, KubernetesClient kube, String method, String path)
      throws IOException {
    if (path.equals("/api/session")) {
      json(ex, 200, session(kube));
    } else if (path.equals("/api/watch")) {
      feed.stream(ex, kube, namespaces(ex));
    } else if (LOGS.matcher(path).matches()) {
      Matcher m = LOGS.matcher(path);
      m.matches();
      if (!served(ex, m.group(1))) return;
      logs(ex, kube, m.group(1), m.group(2), m.group(3), "true".equals(query(ex).get("follow")));
    } else {
      Matcher m = NAMESPACED.matcher(path);
      if (!m.matches()) {
        error(ex, 404, "no such API path: " + path);
        return;
      }
      route(ex, kube, method, m.group(1), m.group(2), m.group(3), m.group(4));
    }
  }

  /**
   * What the API server said, without the client's wrapping (never a token: fabric8 puts none in
   * its messages).
   */
  static String apiMessage(KubernetesClientException e) {
    KubernetesClientException a = answered(e);
    if (a.getCode() <= 0) {
      Throwable root = e;
      while (root.getCause() != null) root = root.getCause();
      return "the Kubernetes API cannot be reached: "
          + (root == e
              ? e.getMessage()
              : root.getClass().getSimpleName() + " " + root.getMessage());
    }
    if (a.getCode() == 401)
      return "the Kubernetes API does not accept these credentials (401 Unauthorized): sign in again";
    if (a.getStatus() != null && a.getStatus().getMessage() != null)
      return a.getStatus().getMessage();
    return a.getMessage();
  }

  /**
   * The client wraps what the API server answered: the innermost exception with an HTTP code is
   * that answer.
   */
  static KubernetesClientException answered(KubernetesClientException e) {
    KubernetesClientException best = e;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k && k.getCode() > 0) best = k;
    }
    return best;
  }

  private void route(
      HttpExchange ex,
      KubernetesClient kube,
      String method,
      String ns,
      String plural,
      String name,
      String action)
      throws IOException {
    if (!served(ex, ns)) return;
    switch (plural
        + (name == null ? "" : "/")
        + (action == null ? "" : "/" + action)
        + " "
        + method) {
      case "templates GET" -> json(ex, 200, templates(kube, ns));
      case "modules GET" -> json(ex, 200, modules(kube, ns, query(ex).get("template")));
      case "backups POST" -> {
        JsonNode form = body(ex);
        Template t = template(kube, ns, form.path("template"));
        Backup b = kube.resource(Forms.backup(ns, form, t.name, t.spec)).create();
        LOG.info("console: created Backup {}/{}", ns, b.getMetadata().getName());
        json(ex, 201, Views.backup(b));
      }
      case "backups/ GET" ->
          json(
              ex, 200, full(kube.resources(Backup.class).inNamespace(ns).withName(name).require()));
      case "backups/ DELETE" -> {
        kube.resources(Backup.class).inNamespace(ns).withName(name).delete();
        json(ex, 202, Map.of("deleted", name));
      }
      case "backups//verify POST", "backups//download POST" -> {
        String at = Instant.now().toString();
        String annotation = action.equals("verify") ? VERIFY_ANNOTATION : DOWNLOAD_ANNOTATION;
        annotate(kube, Backup.class, ns, name, annotation, at);
        json(ex, 202, Map.of("requested", at));
      }
      case "backups//file GET" -> served(ex, kube, ns, name);
      case "backupschedules POST" -> {
        JsonNode form = body(ex);
        Template t = template(kube, ns, form.path("template"));
        BackupSchedule s = kube.resource(Forms.schedule(ns, form, t.spec, null)).create();
        json(ex, 201, Views.schedule(s));
      }
      case "backupschedules/ GET" ->
          json(
              ex,
              200,
              full(kube.resources(BackupSchedule.class).inNamespace(ns).withName(name).require()));
      case "backupschedules/ PUT" -> {
        JsonNode form = body(ex);
        BackupSchedule existing =
            kube.resources(BackupSchedule.class).inNamespace(ns).withName(name).require();
        // the template chosen in the form (the schedule's own by default): another one brings back
        // what a type change dropped
        BackupSpec base =
            form.path("template").path("name").asText("").isEmpty()
                ? existing.getSpec().template
                : template(kube, ns, form.path("template")).spec;
        BackupSchedule edited = Forms.schedule(ns, form, base, existing);
        BackupSchedule s =
            kube.resources(BackupSchedule.class)
                .inNamespace(ns)
                .withName(name)
                .edit(
                    x -> {
                      x.setSpec(edited.getSpec());
                      return x;
                    });
        json(ex, 200, Views.schedule(s));
      }
      case "backupschedules//suspend POST", "backupschedules//resume POST" -> {
        String value = action.equals("suspend") ? "true" : "null";
        BackupSchedule s =
            kube.resources(BackupSchedule.class)
                .inNamespace(ns)
                .withName(name)
                .patch(
                    PatchContext.of(PatchType.JSON_MERGE),
                    "{\"spec\":{\"suspend\":" + value + "}}");
        json(ex, 200, Views.schedule(s));
      }
      case "backupschedules/ DELETE" -> {
        kube.resources(BackupSchedule.class).inNamespace(ns).withName(name).delete();
        json(ex, 202, Map.of("deleted", name));
      }
      case "restores POST" -> {
        JsonNode form = body(ex);
        String backupName = form.path("backupName").asText("");
        Restore wanted;
        if (backupName.isEmpty() && form.path("upload").isObject()) {
          // a file the user uploads into the storage the template names
          wanted = Forms.restoreUpload(ns, form, template(kube, ns, form.path("template")).spec);
        } else if (backupName.isEmpty() && !form.path("backupId").asText("").isEmpty()) {
          // by id, from storage: the template says where it lies and where it goes back to
          wanted = Forms.restoreById(ns, form, template(kube, ns, form.path("template")).spec);
        } else {
          if (backupName.isEmpty())
            throw new Forms.Invalid("choose the backup to restore, or give a stored backup's id");
          Backup b = kube.resources(Backup.class).inNamespace(ns).withName(backupName).get();
          if (b == null)
            throw new Forms.Invalid("there is no Backup " + backupName + " in namespace " + ns);
          wanted = Forms.restore(ns, form, b);
        }
        Restore r = kube.resource(wanted).create();
        LOG.info(
            "console: created Restore {}/{}{}",
            ns,
            r.getMetadata().getName(),
            Boolean.TRUE.equals(r.getSpec().dryRun) ? " (dry run)" : "");
        json(ex, 201, Views.restore(r));
      }
      case "restores//upload PUT" -> upload(ex, kube, ns, name);
      case "restores/ GET" ->
          json(
              ex,
              200,
              full(kube.resources(Restore.class).inNamespace(ns).withName(name).require()));
      case "restores/ DELETE" -> {
        kube.resources(Restore.class).inNamespace(ns).withName(name).delete();
        json(ex, 202, Map.of("deleted", name));
      }
      default ->
          error(
              ex,
              405,
              method
                  + " is not something the console does with "
                  + plural
                  + (name == null ? "" : "/" + name)
                  + (action == null ? "" : "/" + action));
    }
  }

  /**
   * The file of Restore {@code name}'s upload (spec.source.upload), from the request body to the
   * presigned URL the operator put in its status: checked before a byte is read (the user may
   * create Restores here; the Restore is theirs to upload to; its size is within the cap), streamed
   * (never held whole), then announced with the annotation coffer.io/uploaded as the user. The
   * console never holds storage credentials: the URL writes one object under .coffer-uploads/.
   */
  private void upload(HttpExchange ex, KubernetesClient kube, String ns, String name)
      throws IOException {
    if (!allowed(kube, ns, "coffer.io", "restores", "create", null)
        || !allowed(kube, ns, "coffer.io", "restores", "patch", null))
      throw new KubernetesClientException(
          new io.fabric8.kubernetes.api.model.StatusBuilder()
              .withCode(403)
              .withMessage(
                  "uploading a file to restore takes the rights to create and patch Restores in "
                      + ns
                      + " (the coffer-restorer role)")
              .build());
    // an answer before the body is read: the connection cannot carry another request
    ex.getResponseHeaders().set("Connection", "close");
    long length;
    try {
      length = Long.parseLong(ex.getRequestHeaders().getFirst("Content-Length"));
    } catch (NumberFormatException e) {
      error(ex, 411, "an upload needs its length (Content-Length): send the file as the body");
      return;
    }
    if (length <= 0) throw new Forms.Invalid("the file is empty: choose the backup file to upload");
    if (length > settings.uploadMaxBytes()) {
      error(
          ex,
          413,
          "the file is "
              + mib(length)
              + ", more than the "
              + mib(settings.uploadMaxBytes())
              + " this console accepts (chart value console.upload.maxMiB); restore it with kubectl and"
              + " curl (spec.source.upload) or from a volume (spec.source.archive)");
      return;
    }
    Restore r = kube.resources(Restore.class).inNamespace(ns).withName(name).require();
    if (r.getSpec().source == null
        || r.getSpec().source.upload == null
        || r.getSpec().source.upload.fileName == null)
      throw new Forms.Invalid("Restore " + name + " does not take an upload (spec.source.upload)");
    long until = System.nanoTime() + URL_WAIT.toNanos();
    while (r.getStatus() == null
        || r.getStatus().upload == null
        || r.getStatus().upload.url == null) {
      if (r.getStatus() != null
          && r.getStatus().upload != null
          && r.getStatus().upload.uploadedAt != null)
        throw new Forms.Invalid("Restore " + name + " has its file already");
      if (r.getStatus() != null && r.getStatus().phase != null && r.getStatus().phase.terminal())
        throw new Forms.Invalid(
            "Restore " + name + " ended before its upload: " + r.getStatus().lastError);
      if (System.nanoTime() > until) {
        error(
            ex,
            504,
            "the operator gave Restore "
                + name
                + " no upload URL within "
                + URL_WAIT.toSeconds()
                + " s"
                + (r.getStatus() != null && r.getStatus().waitingFor != null
                    ? " (waiting for " + r.getStatus().waitingFor + ")"
                    : "")
                + "; is the operator running?");
        return;
      }
      sleep(500);
      r = kube.resources(Restore.class).inNamespace(ns).withName(name).require();
    }
    String url = r.getStatus().upload.url;
    if (!uploadUrl(r, url)) {
      error(
          ex,
          502,
          "the upload URL of Restore " + name + " is not one of its storage's; nothing was sent");
      return;
    }
    java.net.http.HttpResponse<String> put;
    java.security.MessageDigest sha = sha256();
    try (InputStream body = new java.security.DigestInputStream(ex.getRequestBody(), sha)) {
      put =
          HTTP.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                  .PUT(
                      java.net.http.HttpRequest.BodyPublishers.fromPublisher(
                          java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> body),
                          length))
                  .header("Content-Type", "application/octet-stream")
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    } catch (IOException e) {
      LOG.info("console: the upload of Restore {}/{} stopped: {}", ns, name, e.toString());
      error(
          ex,
          502,
          "the upload stopped before the whole file reached the storage ("
              + e.getClass().getSimpleName()
              + "); nothing was staged: try again");
      return;
    }
    if (put.statusCode() / 100 != 2) {
      error(
          ex,
          502,
          "the storage refused the upload (HTTP "
              + put.statusCode()
              + s3Code(put.body())
              + "); nothing was staged");
      return;
    }
    // what was streamed, announced: the restore refuses a staged file that is not this one
    annotate(
        kube,
        Restore.class,
        ns,
        name,
        UPLOADED_ANNOTATION,
        "sha256:" + java.util.HexFormat.of().formatHex(sha.digest()));
    LOG.info("console: uploaded {} for Restore {}/{}", mib(length), ns, name);
    json(ex, 202, Map.of("uploaded", length, "restore", name));
  }

  /**
   * A volume's backup, downloaded through the console: its Download Job's pod serves the archive
   * inside the cluster (status.download.url, a pod's address the operator wrote), and the console,
   * having read the Backup as the user, passes the bytes on as they come.
   */
  private void served(HttpExchange ex, KubernetesClient kube, String ns, String name)
      throws IOException {
    Backup b = kube.resources(Backup.class).inNamespace(ns).withName(name).require();
    var dl = b.getStatus() == null ? null : b.getStatus().download;
    if (dl == null
        || !"Ready".equals(dl.result)
        || dl.url == null
        || dl.expiresAt == null
        || !Instant.now().isBefore(Instant.parse(dl.expiresAt))) {
      error(ex, 404, "no download of " + name + " is ready: press Download first");
      return;
    }
    if (b.getSpec().storage.s3 != null || !POD_URL.matcher(dl.url).matches()) {
      error(ex, 409, "backup " + name + " downloads from its own URL, not through the console");
      return;
    }
    java.net.http.HttpResponse<InputStream> got = null;
    for (int attempt = 0; got == null; attempt++) {
      try {
        got =
            HTTP.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(dl.url)).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofInputStream());
      } catch (java.net.ConnectException e) {
        if (attempt >= 10) {
          error(
              ex,
              502,
              "the pod that serves " + name + " does not answer; ask for the download again");
          return;
        }
        sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }
    try (InputStream in = got.body()) {
      if (got.statusCode() != 200) {
        error(ex, 502, "the pod that serves " + name + " answered HTTP " + got.statusCode());
        return;
      }
      String fileName = dl.fileName == null ? name + ".zip" : dl.fileName;
      ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
      ex.getResponseHeaders()
          .set(
              "Content-Disposition",
              "attachment; filename=\"" + fileName.replaceAll("[^A-Za-z0-9._-]", "_") + "\"");
      long length = got.headers().firstValueAsLong("Content-Length").orElse(0);
      ex.sendResponseHeaders(200, length);
      try (OutputStream out = ex.getResponseBody()) {
        in.transferTo(out);
      }
    }
    LOG.info("console: passed on the download of {}/{}", ns, name);
  }

  /** A served download's address: a pod's IP, a port, a token and a file name, nothing else. */
  private static final Pattern POD_URL =
      Pattern.compile(
          "^http://(\\[[0-9a-fA-F:]+\\]|[0-9]{1,3}(\\.[0-9]{1,3}){3}):[0-9]{1,5}/[0-9a-f]{64}/[A-Za-z0-9._-]+$");

  private static void sleep(long millis) throws IOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  /** Sets one annotation as the user (a merge patch: no conflict with the operator's writes). */
  private static void annotate(
      KubernetesClient kube,
      Class<? extends HasMetadata> type,
      String ns,
      String name,
      String key,
      String value) {
    kube.resources(type)
        .inNamespace(ns)
        .withName(name)
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"metadata\":{\"annotations\":{\"" + key + "\":\"" + value + "\"}}}");
  }

  private static java.security.MessageDigest sha256() {
    try {
      return java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Whether {@code url} is what the operator signs for Restore {@code r}'s upload: http(s) to the
   * Restore's own S3 endpoint, for its staged object. A status is the operator's to write, but the
   * console sends a user's bytes only where that Restore's storage is.
   */
  static boolean uploadUrl(Restore r, String url) {
    try {
      var u = java.net.URI.create(url);
      var s3 = r.getSpec().source.storage.s3;
      String path = r.getStatus().upload.path;
      boolean host;
      if (s3.endpoint == null) { // AWS: a regional or a bucket's host name
        host =
            "https".equals(u.getScheme())
                && u.getHost() != null
                && u.getHost().endsWith(".amazonaws.com");
      } else {
        var e = java.net.URI.create(s3.endpoint);
        host =
            u.getScheme() != null
                && u.getScheme().equals(e.getScheme())
                && u.getPort() == e.getPort()
                && u.getHost() != null
                && (u.getHost().equals(e.getHost()) || u.getHost().endsWith("." + e.getHost()));
      }
      return host
          && ("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
          && path != null
          && u.getRawPath().endsWith("/" + path);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The annotation that tells the operator an upload's file is in place. */
  static final String UPLOADED_ANNOTATION = "coffer.io/uploaded";

  private static final java.net.http.HttpClient HTTP =
      java.net.http.HttpClient.newBuilder()
          .connectTimeout(java.time.Duration.ofSeconds(30))
          .build();

  private static String mib(long bytes) {
    if (bytes >= 1L << 30)
      return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    if (bytes >= 1L << 20)
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    return bytes + " bytes";
  }

  /** S3's error code from its XML answer (never more of it). */
  private static String s3Code(String body) {
    Matcher m = Pattern.compile("<Code>([A-Za-z]{1,64})</Code>").matcher(body == null ? "" : body);
    return m.find() ? ", " + m.group(1) : "";
  }

  private boolean served(HttpExchange ex, String ns) throws IOException {
    if (settings.namespaces().isEmpty() || settings.namespaces().contains(ns)) return true;
    error(
        ex,
        404,
        "this console serves namespaces "
            + settings.namespaces()
            + ", not "
            + ns
            + " (coffer console --namespace)");
    return false;
  }

  /**
   * The resource as the API server has it (spec and status: names of Secrets, never their
   * contents).
   */
  private static Object full(HasMetadata r) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>(Views.of(r));
    var node =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            MAPPER.readTree(USERINFO.matcher(Forms.JSON.asJson(r)).replaceAll("//***@"));
    var meta = (com.fasterxml.jackson.databind.node.ObjectNode) node.path("metadata");
    meta.remove("managedFields");
    if (meta.path("annotations").isObject())
      ((com.fasterxml.jackson.databind.node.ObjectNode) meta.get("annotations"))
          .remove("kubectl.kubernetes.io/last-applied-configuration");
    m.put("resource", node);
    return m;
  }

  /** user:password@ in any URL of a resource (an S3 endpoint may carry them): never shown. */
  private static final Pattern USERINFO = Pattern.compile("//[^/@\\s\"]+@");

  record Template(String name, BackupSpec spec) {}

  /**
   * The spec a form builds on: a schedule's Backup template or an existing Backup's spec, read as
   * the user.
   */
  private static Template template(KubernetesClient kube, String ns, JsonNode ref) {
    return template(kube, ns, ref.path("kind").asText(""), ref.path("name").asText(""));
  }

  private static Template template(KubernetesClient kube, String ns, String kind, String name) {
    if (name.isEmpty())
      throw new Forms.Invalid(
          "choose what to base it on: a schedule or an earlier backup (they say where the data is and where it goes)");
    if (kind.equals("BackupSchedule")) {
      BackupSchedule s = kube.resources(BackupSchedule.class).inNamespace(ns).withName(name).get();
      if (s == null) throw new Forms.Invalid("there is no BackupSchedule " + name + " in " + ns);
      return new Template(name, s.getSpec().template);
    }
    Backup b = kube.resources(Backup.class).inNamespace(ns).withName(name).get();
    if (b == null) throw new Forms.Invalid("there is no Backup " + name + " in " + ns);
    return new Template(
        b.getMetadata().getLabels() != null
                && b.getMetadata().getLabels().containsKey("coffer.io/schedule")
            ? b.getMetadata().getLabels().get("coffer.io/schedule")
            : name,
        b.getSpec());
  }

  /**
   * What a new Backup or schedule can be based on: every schedule, and the newest Backups that no
   * schedule made.
   */
  private static List<Map<String, Object>> templates(KubernetesClient kube, String ns) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (BackupSchedule s :
        kube.resources(BackupSchedule.class).inNamespace(ns).list().getItems()) {
      out.add(templateView("BackupSchedule", s.getMetadata().getName(), s.getSpec().template));
    }
    kube.resources(Backup.class).inNamespace(ns).list().getItems().stream()
        .filter(
            b ->
                b.getMetadata().getLabels() == null
                    || !b.getMetadata().getLabels().containsKey("coffer.io/schedule"))
        .sorted(
            Comparator.comparing((Backup b) -> b.getMetadata().getCreationTimestamp()).reversed())
        .limit(20)
        .forEach(b -> out.add(templateView("Backup", b.getMetadata().getName(), b.getSpec())));
    return out;
  }

  private static Map<String, Object> templateView(String kind, String name, BackupSpec spec) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", kind);
    m.put("name", name);
    m.put("type", spec.type == null ? null : spec.type.name());
    m.put("storage", Views.storage(spec.storage));
    m.put("encrypted", spec.encryption != null);
    m.put("mongodb", spec.source.mongodb != null);
    m.put("moduleMap", spec.source.mongodb != null && spec.source.mongodb.moduleMap != null);
    m.put("modules", spec.source.mongodb == null ? List.of() : spec.source.mongodb.modules);
    m.put("trees", spec.source.files.stream().map(f -> f.name).toList());
    Map<String, String> claims = new LinkedHashMap<>();
    spec.source.files.forEach(f -> claims.put(f.name, f.claimName));
    m.put("claims", claims);
    m.put("chain", spec.chain != null);
    return m;
  }

  /**
   * The modules of a template's module map (a ConfigMap key, read as the user): name and
   * collections.
   */
  private static Map<String, Object> modules(KubernetesClient kube, String ns, String ref) {
    if (ref == null || !ref.contains("/")) throw new Forms.Invalid("modules?template=KIND/NAME");
    Template t =
        template(kube, ns, ref.substring(0, ref.indexOf('/')), ref.substring(ref.indexOf('/') + 1));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("chosen", t.spec.source.mongodb == null ? List.of() : t.spec.source.mongodb.modules);
    if (t.spec.source.mongodb == null || t.spec.source.mongodb.moduleMap == null) {
      out.put("modules", Map.of());
      out.put(
          "note",
          "this template has no module map: it backs up what source.mongodb.include selects");
      return out;
    }
    var ref2 = t.spec.source.mongodb.moduleMap;
    try {
      var cm = kube.configMaps().inNamespace(ns).withName(ref2.name).get();
      String yaml = cm == null || cm.getData() == null ? null : cm.getData().get(ref2.key);
      if (yaml == null) {
        out.put("modules", Map.of());
        out.put(
            "note",
            "ConfigMap "
                + ref2.name
                + " has no key "
                + ref2.key
                + ": the backup will fail until it has");
        return out;
      }
      JsonNode map = YAML.readTree(yaml).path("modules");
      Map<String, List<String>> modules = new LinkedHashMap<>();
      map.fields()
          .forEachRemaining(
              e -> {
                List<String> cols = new ArrayList<>();
                e.getValue().forEach(c -> cols.add(c.asText()));
                modules.put(e.getKey(), cols);
              });
      out.put("modules", modules);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 403) throw e;
      out.put("modules", Map.of());
      out.put(
          "note",
          "you may not read ConfigMap "
              + ref2.name
              + " (the module map), so its modules cannot be listed; type them instead");
    } catch (IOException e) {
      out.put("modules", Map.of());
      out.put(
          "note",
          "the module map in ConfigMap "
              + ref2.name
              + " is not YAML: "
              + e.getMessage().lines().findFirst().orElse(""));
    }
    return out;
  }

  /**
   * Who the user is and what they may do in each namespace (SelfSubjectAccessReview, one per
   * action).
   */
  private Map<String, Object> session(KubernetesClient kube) {
    Map<String, Object> out = new LinkedHashMap<>();
    String user;
    try {
      var review =
          kube.authentication()
              .v1()
              .selfSubjectReviews()
              .create(new SelfSubjectReviewBuilder().build());
      user =
          review.getStatus() == null || review.getStatus().getUserInfo() == null
              ? "?"
              : review.getStatus().getUserInfo().getUsername();
    } catch (KubernetesClientException e) {
      if (answered(e).getCode() == 401) throw e;
      user = "(the API server does not say: " + apiMessage(e) + ")";
    }
    out.put("user", user);
    out.put("mode", users.mode());
    List<String> namespaces =
        settings.namespaces().isEmpty()
            ? List.of(kube.getNamespace() == null ? "default" : kube.getNamespace())
            : settings.namespaces();
    Map<String, Object> can = new LinkedHashMap<>();
    for (String ns : namespaces) {
      Map<String, Boolean> a = new LinkedHashMap<>();
      a.put("listBackups", allowed(kube, ns, "coffer.io", "backups", "list", null));
      a.put("createBackup", allowed(kube, ns, "coffer.io", "backups", "create", null));
      a.put("verifyBackup", allowed(kube, ns, "coffer.io", "backups", "patch", null));
      a.put("deleteBackup", allowed(kube, ns, "coffer.io", "backups", "delete", null));
      a.put("createSchedule", allowed(kube, ns, "coffer.io", "backupschedules", "create", null));
      a.put("editSchedule", allowed(kube, ns, "coffer.io", "backupschedules", "update", null));
      a.put("suspendSchedule", allowed(kube, ns, "coffer.io", "backupschedules", "patch", null));
      a.put("deleteSchedule", allowed(kube, ns, "coffer.io", "backupschedules", "delete", null));
      a.put("createRestore", allowed(kube, ns, "coffer.io", "restores", "create", null));
      a.put("deleteRestore", allowed(kube, ns, "coffer.io", "restores", "delete", null));
      a.put(
          "readLogs",
          allowed(kube, ns, "", "pods", "get", "log")
              && allowed(kube, ns, "", "pods", "list", null));
      can.put(ns, a);
    }
    out.put("namespaces", namespaces);
    out.put("can", can);
    out.put("uploadMaxBytes", settings.uploadMaxBytes());
    return out;
  }

  private static boolean allowed(
      KubernetesClient kube, String ns, String group, String resource, String verb, String sub) {
    var review =
        kube.authorization()
            .v1()
            .selfSubjectAccessReview()
            .create(
                new SelfSubjectAccessReviewBuilder()
                    .withNewSpec()
                    .withNewResourceAttributes()
                    .withNamespace(ns)
                    .withGroup(group)
                    .withResource(resource)
                    .withVerb(verb)
                    .withSubresource(sub)
                    .endResourceAttributes()
                    .endSpec()
                    .build());
    return review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
  }

  /**
   * The log of the Job that ran (or runs) a Backup or Restore: its newest pod's, followed while it
   * runs.
   */
  private static void logs(
      HttpExchange ex, KubernetesClient kube, String ns, String plural, String name, boolean follow)
      throws IOException {
    HasMetadata r =
        plural.equals("backups")
            ? kube.resources(Backup.class).inNamespace(ns).withName(name).require()
            : kube.resources(Restore.class).inNamespace(ns).withName(name).require();
    String job =
        r instanceof Backup b
            ? (b.getStatus() == null ? null : b.getStatus().jobName)
            : ((Restore) r).getStatus() == null ? null : ((Restore) r).getStatus().jobName;
    if (job == null) {
      error(ex, 404, "no Job has run for " + name + " yet");
      return;
    }
    Pod pod =
        kube.pods().inNamespace(ns).withLabel("job-name", job).list().getItems().stream()
            .max(Comparator.comparing((Pod p) -> p.getMetadata().getCreationTimestamp()))
            .orElse(null);
    if (pod == null) {
      error(
          ex,
          404,
          "the pod of Job "
              + job
              + " is gone (deleted, or its node was); the resource's status keeps the last lines of its log");
      return;
    }
    boolean running = pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
    var podRef = kube.pods().inNamespace(ns).withName(pod.getMetadata().getName());
    podRef
        .tailingLines(1)
        .getLog(); // a refusal (no pods/log right) or a pod without a log yet answers here, before
    // the headers
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.getResponseHeaders().set("X-Coffer-Pod", pod.getMetadata().getName());
    ex.sendResponseHeaders(200, 0);
    // streamed, never held whole: a finished log up to its first 32 MiB (limitBytes), a running one
    // as it grows
    try (LogWatch w = follow && running ? podRef.watchLog() : null;
        InputStream in =
            w != null ? w.getOutput() : podRef.limitBytes(LOG_LIMIT).getLogInputStream();
        OutputStream out = ex.getResponseBody()) {
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) > 0; ) {
        out.write(buf, 0, n);
        out.flush();
      }
    }
  }

  static final int LOG_LIMIT = 32 << 20;

  private List<String> namespaces(HttpExchange ex) {
    List<String> asked = new ArrayList<>();
    String q = ex.getRequestURI().getRawQuery();
    if (q != null) {
      for (String kv : q.split("&")) {
        if (kv.startsWith("namespace="))
          asked.add(URLDecoder.decode(kv.substring(10), StandardCharsets.UTF_8));
      }
    }
    for (String ns : asked) {
      if (!ns.matches("^[a-z0-9][-a-z0-9]*$")
          || (!settings.namespaces().isEmpty() && !settings.namespaces().contains(ns))) {
        throw new Forms.Invalid(
            "namespace " + ns + " is not one this console serves: " + settings.namespaces());
      }
    }
    return asked.isEmpty() ? settings.namespaces() : List.copyOf(new LinkedHashSet<>(asked));
  }

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> m = new LinkedHashMap<>();
    String q = ex.getRequestURI().getRawQuery();
    if (q == null) return m;
    for (String kv : q.split("&")) {
      int i = kv.indexOf('=');
      if (i > 0)
        m.put(kv.substring(0, i), URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
    }
    return m;
  }

  private static JsonNode body(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] b = in.readNBytes(1 << 20);
      if (b.length == 0) return MAPPER.createObjectNode();
      JsonNode n = MAPPER.readTree(b);
      if (!n.isObject()) throw new Forms.Invalid("the request body must be a JSON object");
      return n;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new Forms.Invalid("the request body is not JSON: " + e.getOriginalMessage());
    }
  }

  /**
   * Loopback consoles answer only to loopback names, so a page on another site cannot reach them by
   * DNS rebinding.
   */
  private boolean hostAllowed(HttpExchange ex) {
    if (!settings.address().isLoopbackAddress()) return true;
    String host = ex.getRequestHeaders().getFirst("Host");
    if (host == null) return false;
    String port = ":" + port();
    return Set.of("127.0.0.1" + port, "localhost" + port, "[::1]" + port)
        .contains(host.toLowerCase(Locale.ROOT));
  }

  private static void headers(HttpExchange ex) {
    var h = ex.getResponseHeaders();
    h.set(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'");
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "no-referrer");
    h.set("Cache-Control", "no-store");
  }

  private static void asset(HttpExchange ex, String path) throws IOException {
    String name = path.equals("/") ? "index.html" : path.substring(1);
    if (!name.matches("^[a-z0-9-]+\\.(html|js|css|svg|png)$")) {
      error(ex, 404, "no such page: " + path);
      return;
    }
    try (InputStream in = ConsoleServer.class.getResourceAsStream("web/" + name)) {
      if (in == null) {
        error(ex, 404, "no such page: " + path);
        return;
      }
      byte[] b = in.readAllBytes();
      ex.getResponseHeaders()
          .set("Content-Type", TYPES.get(name.substring(name.lastIndexOf('.') + 1)));
      ex.sendResponseHeaders(200, b.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    }
  }

  static void json(HttpExchange ex, int code, Object body) throws IOException {
    byte[] b = MAPPER.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(code, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  static void error(HttpExchange ex, int code, String message) throws IOException {
    try {
      json(ex, code, Map.of("error", message));
    } catch (IOException | IllegalStateException e) {
      // the response had started (a stream that broke): the connection closes, which the page sees
    }
  }

  @Override
  public void close() {
    feed.close();
    server.stop(0);
    threads.shutdownNow();
    users.close();
  }
}
