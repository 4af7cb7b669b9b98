package io.coffer.testing;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A real Kubernetes control plane on loopback, in a temporary folder: etcd, kube-apiserver (RBAC
 * and Node authorization; the admission plugins of a production cluster: NamespaceLifecycle,
 * LimitRanger, ServiceAccount, DefaultStorageClass, PodSecurity, NodeRestriction,
 * OwnerReferencesPermissionEnforcement, ResourceQuota, ...), kube-controller-manager (Job, garbage
 * collector, namespace, service account and token, TTL-after-finished, PV binder, root CA
 * publisher) and kube-scheduler, each a process of the binaries {@code
 * testkit/bin/control-plane.sh} builds from source. No kubelet: a {@link NodeAgent} plays the
 * nodes. The admin authenticates with a static token (group {@code system:masters}); the API
 * server's serving certificate is the one it makes for itself.
 */
public final class ControlPlane implements AutoCloseable {
  public static final String VERSION = "1.37.2";
  private static final String ADMIN_TOKEN = "coffer-admin-" + UUID.randomUUID();

  private final Path dir;
  private final Path bin;
  private final List<Process> processes = new ArrayList<>();
  private final int apiPort;
  private final KubernetesClient admin;
  private final Path kubeconfig;

  /** The folder holding the binaries, or null where they are not built. */
  public static Path binaries() {
    String env = System.getenv("COFFER_K8S_BIN");
    Path p =
        env != null
            ? Path.of(env)
            : Path.of(System.getProperty("user.home"), ".cache", "coffer", "k8s", "v" + VERSION);
    for (String b :
        List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")) {
      if (!Files.isExecutable(p.resolve(b))) return null;
    }
    return p;
  }

  /** What to say where the binaries are missing. */
  public static String missing() {
    return "the Kubernetes control plane v"
        + VERSION
        + " is not built (testkit/bin/control-plane.sh builds it with Go, about 10 minutes once)";
  }

  private ControlPlane(Path dir, Path bin) throws Exception {
    this.dir = dir;
    this.bin = bin;
    long start = System.nanoTime();
    int etcdPort = freePort();
    int peerPort = freePort();
    apiPort = freePort();
    Path etcdData =
        Files.createDirectories(
            dir.resolve("etcd"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    start(
        "etcd",
        List.of(
            bin.resolve("etcd").toString(),
            "--name",
            "coffer",
            "--data-dir",
            etcdData.toString(),
            "--listen-client-urls",
            "http://127.0.0.1:" + etcdPort,
            "--advertise-client-urls",
            "http://127.0.0.1:" + etcdPort,
            "--listen-peer-urls",
            "http://127.0.0.1:" + peerPort,
            "--initial-advertise-peer-urls",
            "http://127.0.0.1:" + peerPort,
            "--initial-cluster",
            "coffer=http://127.0.0.1:" + peerPort,
            "--unsafe-no-fsync",
            "--log-level",
            "warn"));

    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048, new SecureRandom());
    KeyPair sa = g.generateKeyPair();
    Path saKey = pem(dir.resolve("sa.key"), "PRIVATE KEY", sa.getPrivate().getEncoded());
    Path saPub = pem(dir.resolve("sa.pub"), "PUBLIC KEY", sa.getPublic().getEncoded());
    Path tokens =
        Files.writeString(
            dir.resolve("tokens.csv"), ADMIN_TOKEN + ",coffer-admin,coffer-admin,system:masters\n");
    Path certs = Files.createDirectories(dir.resolve("certs"));
    start(
        "kube-apiserver",
        List.of(
            bin.resolve("kube-apiserver").toString(),
            "--etcd-servers",
            "http://127.0.0.1:" + etcdPort,
            "--bind-address",
            "127.0.0.1",
            "--advertise-address",
            "127.0.0.1",
            "--secure-port",
            String.valueOf(apiPort),
            "--cert-dir",
            certs.toString(),
            "--service-account-issuer",
            "https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file",
            saPub.toString(),
            "--service-account-signing-key-file",
            saKey.toString(),
            "--api-audiences",
            "https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range",
            "10.96.0.0/16",
            "--authorization-mode",
            "Node,RBAC",
            "--token-auth-file",
            tokens.toString(),
            "--enable-admission-plugins",
            "NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,DefaultTolerationSeconds,"
                + "PodSecurity,NodeRestriction,OwnerReferencesPermissionEnforcement,Priority,ResourceQuota,StorageObjectInUseProtection,"
                + "MutatingAdmissionPolicy,ValidatingAdmissionPolicy,MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
            "--allow-privileged=false",
            "--kubelet-preferred-address-types",
            "InternalIP",
            "--endpoint-reconciler-type",
            "none",
            "--profiling=false",
            "--event-ttl",
            "1h",
            "--v",
            "0"));
    HttpClient http =
        HttpClient.newBuilder()
            .sslContext(trustAll())
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    await(http, "/readyz", Duration.ofSeconds(90));

    kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeconfig("https://127.0.0.1:" + apiPort, ADMIN_TOKEN));
    Path rootCa = certs.resolve("apiserver.crt");
    start(
        "kube-controller-manager",
        List.of(
            bin.resolve("kube-controller-manager").toString(),
            "--kubeconfig",
            kubeconfig.toString(),
            "--authentication-kubeconfig",
            kubeconfig.toString(),
            "--authorization-kubeconfig",
            kubeconfig.toString(),
            "--controllers",
            "job-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,"
                + "serviceaccount-token-controller,ttl-after-finished-controller,persistentvolume-binder-controller,"
                + "root-ca-certificate-publisher-controller,replicaset-controller,deployment-controller,endpointslice-controller,"
                + "clusterrole-aggregation-controller",
            "--service-account-private-key-file",
            saKey.toString(),
            "--root-ca-file",
            rootCa.toString(),
            "--leader-elect=false",
            "--secure-port",
            String.valueOf(freePort()),
            "--bind-address",
            "127.0.0.1",
            "--v",
            "0"));
    start(
        "kube-scheduler",
        List.of(
            bin.resolve("kube-scheduler").toString(),
            "--kubeconfig",
            kubeconfig.toString(),
            "--authentication-kubeconfig",
            kubeconfig.toString(),
            "--authorization-kubeconfig",
            kubeconfig.toString(),
            "--leader-elect=false",
            "--secure-port",
            String.valueOf(freePort()),
            "--bind-address",
            "127.0.0.1",
            "--v",
            "0"));
    admin = client(ADMIN_TOKEN);
    // the service-account controller makes each namespace's "default" account: ready when default's
    // is there
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (admin.serviceAccounts().inNamespace("default").withName("default").get() == null) {
      if (System.nanoTime() > deadline)
        throw new IOException(
            "the controller manager did not start; see "
                + dir.resolve("kube-controller-manager.log"));
      Thread.sleep(100);
    }
    startedIn = Duration.ofNanos(System.nanoTime() - start);
  }

  private final Duration startedIn;

  /** Starts a control plane in a new folder under {@code work}. */
  public static ControlPlane start(Path work) throws Exception {
    Path bin = binaries();
    if (bin == null) throw new IllegalStateException(missing());
    return new ControlPlane(Files.createTempDirectory(work, "control-plane"), bin);
  }

  public Duration startedIn() {
    return startedIn;
  }

  public Path dir() {
    return dir;
  }

  public Path kubectl() {
    return bin.resolve("kubectl");
  }

  /** A kubeconfig for the admin, for kubectl. */
  public Path kubeconfig() {
    return kubeconfig;
  }

  public String server() {
    return "https://127.0.0.1:" + apiPort;
  }

  /** The admin's client (system:masters): for the tests' own set-up and checks. */
  public KubernetesClient admin() {
    return admin;
  }

  /**
   * A client authenticating with a bearer token (a ServiceAccount's, from the TokenRequest API).
   */
  public KubernetesClient client(String token) {
    Config c =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(server())
            .withOauthToken(token)
            .withTrustCerts(true)
            .withNamespace(null)
            .withRequestTimeout(30_000)
            .withConnectionTimeout(5_000)
            .build();
    return new KubernetesClientBuilder().withConfig(c).build();
  }

  /** A client that acts as another user (impersonation), to check what RBAC lets that user do. */
  public KubernetesClient as(String user, String... groups) {
    Config c =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(server())
            .withOauthToken(ADMIN_TOKEN)
            .withTrustCerts(true)
            .withImpersonateUsername(user)
            .withImpersonateGroups(groups)
            .build();
    return new KubernetesClientBuilder().withConfig(c).build();
  }

  /** A token for ServiceAccount {@code namespace/name}, from the TokenRequest API (one hour). */
  public String token(String namespace, String name) {
    var req =
        new io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder()
            .withNewSpec()
            .withExpirationSeconds(3600L)
            .endSpec()
            .build();
    return admin
        .serviceAccounts()
        .inNamespace(namespace)
        .withName(name)
        .tokenRequest(req)
        .getStatus()
        .getToken();
  }

  /** A kubeconfig file for a bearer token. */
  public Path kubeconfigFor(String name, String token) throws IOException {
    return Files.writeString(dir.resolve("kubeconfig-" + name), kubeconfig(server(), token));
  }

  private static String kubeconfig(String server, String token) {
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: coffer\n  cluster:\n    server: "
        + server
        + "\n    insecure-skip-tls-verify: true\n"
        + "users:\n- name: coffer\n  user:\n    token: "
        + token
        + "\ncontexts:\n- name: coffer\n  context:\n    cluster: coffer\n    user: coffer\n"
        + "current-context: coffer\n";
  }

  private void start(String name, List<String> cmd) throws IOException {
    Process p =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".log").toFile())
            .start();
    p.getOutputStream().close();
    processes.add(p);
  }

  private void await(HttpClient http, String path, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      for (Process p : processes) {
        if (!p.isAlive())
          throw new IOException(
              "a control plane process ended at start: "
                  + String.join(" ", p.info().command().orElse("?"))
                  + "; see the logs in "
                  + dir);
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + apiPort + path))
                    .header("Authorization", "Bearer " + ADMIN_TOKEN)
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return;
        last = r.statusCode() + " " + r.body();
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(200);
    }
    throw new IOException(
        "kube-apiserver did not become ready ("
            + last
            + "); see "
            + dir.resolve("kube-apiserver.log"));
  }

  static Path pem(Path file, String type, byte[] der) throws IOException {
    String b64 =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return Files.writeString(
        file, "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n");
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static SSLContext trustAll() throws Exception {
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(
        null,
        new TrustManager[] {
          new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
              return new X509Certificate[0];
            }
          }
        },
        new SecureRandom());
    return ssl;
  }

  /** Waits up to {@code seconds} in all for {@code ps} to end, then kills what is left. */
  private static void stop(List<Process> ps, int seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    try {
      for (Process p : ps)
        p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      for (Process p : ps) if (p.isAlive()) p.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      ps.forEach(Process::destroyForcibly);
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops every process (scheduler, controllers, API server, etcd: in reverse) and removes the
   * folder.
   */
  @Override
  public void close() {
    admin.close();
    // the scheduler, the controllers and the API server at once, then etcd (processes.get(0)):
    // each has a few seconds, not a graceful shutdown's minutes, so a test run or a demo ends fast
    if (!processes.isEmpty()) {
      List<Process> rest = processes.subList(1, processes.size());
      rest.forEach(Process::destroy);
      stop(rest, 4);
      processes.get(0).destroy();
      stop(processes.subList(0, 1), 2);
    }
    try (var s = Files.walk(dir)) {
      if (System.getenv("COFFER_KEEP_CP") == null)
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      // a temporary folder; the next boot cleans it
    }
  }
}
