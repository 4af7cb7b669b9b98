package io.coffer.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.console.ConsoleServer;
import io.coffer.console.Users;
import io.coffer.controller.CofferOperator;
import io.coffer.engine.Engine;
import io.coffer.engine.Secrets;
import io.coffer.job.JobFactory;
import io.coffer.protocol.Request;
import io.coffer.testing.Cluster;
import io.coffer.testing.ControlPlane;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.ImageRuntime;
import io.coffer.testing.LocalKubelet;
import io.coffer.testing.MockKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code coffer demo}: the whole system on embedded parts. A Kubernetes API (fabric8's mock, CRUD
 * mode, with Coffer's CRDs), MongoDB (mongo-java-server) seeded with RayERP data, S3 (S3Proxy over
 * a local folder), the operator, and a local kubelet that runs each Job's command as a local {@code
 * coffer} process. It applies files from samples/, shows the resources as {@code kubectl get -w}
 * would, checks that the restored data equals the source, and exits 0 only if all of that held.
 */
@Command(
    name = "coffer demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run Coffer end to end on embedded parts (no cluster, no Docker, nothing leaves this machine):",
      "a full encrypted backup of a RayERP-like MongoDB and its uploads, a schedule, a restore preview and a",
      "restore into a fresh database, all from the files in samples/; then check the copy equals the source.",
      "Exit code 0 when every check held, 1 otherwise."
    })
public final class Demo implements Callable<Integer> {
  static final String NS = "rayerp";

  @Option(
      names = "--keep",
      description =
          "Keep everything running afterwards and print how to look around (Ctrl-C ends it).")
  boolean keep;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description = "Work folder (default: a new folder under the system temp folder).")
  Path dir;

  @Option(
      names = "--scale",
      paramLabel = "N",
      defaultValue = "1",
      description = "Data size factor: 1 (default) is about 60,000 documents.")
  int scale;

  @Option(
      names = "--mock",
      description =
          "Use fabric8's mock API and a simulated kubelet even where the real control plane is built.")
  boolean mock;

  @Option(
      names = "--home",
      paramLabel = "DIR",
      defaultValue = "${sys:coffer.home:-.}",
      description = "The Coffer checkout (crds/, samples/); set by ./coffer.")
  Path home;

  private final Console out = new Console();

  public static void main(String[] args) {
    System.exit(new CommandLine(new Demo()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    home = home.toAbsolutePath().normalize();
    if (!Files.isDirectory(home.resolve("crds")) || !Files.isDirectory(home.resolve("samples"))) {
      System.err.println(
          "coffer demo: error: "
              + home
              + " has no crds/ and samples/; run it from the checkout (./coffer demo) or pass --home");
      return 2;
    }
    if (scale < 1 || scale > 20) {
      System.err.println("coffer demo: error: --scale must be between 1 and 20, not " + scale);
      return 2;
    }
    boolean ownDir = dir == null;
    dir =
        dir != null
            ? Files.createDirectories(dir.toAbsolutePath())
            : Files.createTempDirectory("coffer-demo-");
    long started = System.nanoTime();
    boolean real = !mock && ControlPlane.binaries() != null;
    out.title(
        "Coffer demo: the operator, its engine and a RayERP installation, on "
            + (real ? "a real Kubernetes control plane" : "embedded parts")
            + " in "
            + dir);
    if (!real && !mock) {
      out.detail(
          "("
              + ControlPlane.missing()
              + "; until then the demo runs on fabric8's mock API, which kubectl cannot explore)");
    }
    boolean passed = false;
    AtomicBoolean returned = new AtomicBoolean();
    try (Parts parts = new Parts()) {
      parts.real = real;
      // Ctrl-C or SIGTERM at any moment (mid-run, or while --keep keeps it running) ends every
      // process the demo started and removes the folder it made; a run that returns does its own
      Path own = ownDir ? dir : null;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    if (!returned.get()) stopAll(parts, own);
                  },
                  "demo-stop"));
      takeSignals();
      Checks checks = run(parts);
      double seconds = (System.nanoTime() - started) / 1e9;
      out.blank();
      checks.print(out);
      if (!checks.allPassed()) {
        out.line(
            String.format(
                "demo FAILED after %.0f s: see the checks above; everything it made is in %s",
                seconds, dir));
        return 1;
      }
      out.line(String.format("demo passed in %.0f s.", seconds));
      passed = true;
      if (keep) {
        takeSignals();
        parts.keepRunning(out, dir);
      }
      return 0;
    } finally {
      returned.set(true);
      // a passed run leaves nothing behind in the temporary folder; a failed one keeps it for a
      // look
      if (passed && ownDir && !keep) deleteTree(dir);
    }
  }

  /**
   * SIGINT and SIGTERM to the JVM's shutdown (its hooks). helm-java, which renders the chart's RBAC
   * when the cluster starts, loads a Go runtime into this JVM, and Go installs its own handlers for
   * them: the JVM never saw Ctrl-C. Called at the start and again once the cluster is up.
   */
  static void takeSignals() {
    for (String name : List.of("INT", "TERM"))
      Signal.handle(new Signal(name), sig -> System.exit(128 + sig.getNumber()));
  }

  /**
   * Ctrl-C or SIGTERM on a demo: every process it started (the control plane, the pods) is ended
   * first, whatever state the parts are in (SIGTERM, then SIGKILL after 2 s), then the parts are
   * closed (3 s at most) and the folder the demo made is removed: within 10 s.
   */
  static void stopAll(Parts parts, Path ownDir) {
    long start = System.nanoTime();
    List<ProcessHandle> children = ProcessHandle.current().descendants().toList();
    children.forEach(ProcessHandle::destroy);
    long deadline = start + 2_000_000_000L;
    for (ProcessHandle p : children) {
      long left = deadline - System.nanoTime();
      if (left <= 0) break;
      try {
        p.onExit().get(left, TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        // forced below
      }
    }
    children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    Thread closing = new Thread(parts::close, "demo-close");
    closing.setDaemon(true);
    closing.start();
    try {
      closing.join(3_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ownDir != null) deleteTree(ownDir);
    System.err.printf(
        "coffer demo: stopped %d processes in %.1f s%s%n",
        children.size(),
        (System.nanoTime() - start) / 1e9,
        ownDir == null ? "" : " and removed " + ownDir);
  }

  static void deleteTree(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException | UncheckedIOException e) {
      // a temporary folder
    }
  }

  /** The embedded parts, closed in reverse order. */
  final class Parts implements AutoCloseable {
    boolean real;
    Cluster cluster;
    MockKubernetes kube;
    KubernetesClient client;
    MongoServer mongo;
    S3Proxy s3;
    LocalKubelet kubelet;
    Operator operator;
    ConsoleServer console;
    Engine.KeyPair identity = Engine.newKeyPair();

    void keepRunning(Console out, Path dir) throws Exception {
      if (cluster != null) {
        keepRunningReal(out, dir);
        return;
      }
      Path kubeconfig = dir.resolve("kubeconfig");
      Files.writeString(
          kubeconfig,
          """
          apiVersion: v1
          kind: Config
          clusters: [{name: coffer-demo, cluster: {server: "%s"}}]
          users: [{name: demo, user: {token: demo}}]
          contexts: [{name: coffer-demo, context: {cluster: coffer-demo, user: demo, namespace: rayerp}}]
          current-context: coffer-demo
          """
              .formatted(client.getMasterUrl().toString().replaceAll("/$", "")));
      String s3url = EmbeddedServers.endpoint(s3);
      out.blank();
      out.line("Still running (Ctrl-C ends it). To look around:");
      out.line("  the API (a mock without discovery, so plain GETs only):");
      out.line(
          "    kubectl --kubeconfig "
              + kubeconfig
              + " get --raw /apis/coffer.io/v1alpha1/namespaces/rayerp/backups");
      out.line("  the bucket, with the engine's own commands (demo credentials):");
      out.line(
          "    export AWS_ACCESS_KEY_ID="
              + EmbeddedServers.ACCESS_KEY
              + " AWS_SECRET_ACCESS_KEY="
              + EmbeddedServers.SECRET_KEY);
      out.line("    ./coffer list --storage s3://rayerp-backups/production --s3-endpoint " + s3url);
      out.line(
          "    ./coffer inspect --storage s3://rayerp-backups/production --s3-endpoint "
              + s3url
              + " --backup <ID> --identity-file "
              + dir.resolve("ops.key"));
      out.line("  MongoDB: " + EmbeddedServers.uri(mongo) + " (databases erp and erp_restored)");
      startConsole(
          out,
          client,
          "the mock answers no SelfSubjectAccessReview, so the console offers no actions here; the real control plane has them");
      Thread.currentThread().join();
    }

    /**
     * The web console on a free port, as the demo's admin (its kubeconfig's user): the line the
     * README points to.
     */
    void startConsole(Console out, KubernetesClient as, String note) throws IOException {
      console =
          new ConsoleServer(
              Users.kubeconfig(as),
              new ConsoleServer.Settings(InetAddress.getLoopbackAddress(), 0, List.of(NS)));
      out.line(
          "  the web console (backups, schedules, logs, restores; acting as the demo's admin"
              + (note == null ? "" : "; " + note)
              + "):");
      out.line("console: " + console.url());
    }

    void keepRunningReal(Console out, Path dir) throws Exception {
      Path kubeconfig = cluster.controlPlane().kubeconfig();
      Path kubectl = cluster.controlPlane().kubectl();
      String s3url = EmbeddedServers.endpoint(s3);
      out.blank();
      out.line(
          "Still running (Ctrl-C ends it). The cluster is a real one: every kubectl command of the README works against it.");
      out.line("    export KUBECONFIG=" + kubeconfig);
      out.line(
          "    alias kubectl="
              + kubectl
              + "     # built by testkit/bin/control-plane.sh, the API server's version");
      out.line("    kubectl get backups,backupschedules,restores -n rayerp");
      out.line("    kubectl describe backup rayerp-before-upgrade -n rayerp");
      out.line("    kubectl logs -n rayerp job/rayerp-before-upgrade-backup-1");
      out.line("    kubectl get nodes,pods -A -o wide");
      out.line("  the bucket, with the engine's own commands (demo credentials):");
      out.line(
          "    export AWS_ACCESS_KEY_ID="
              + EmbeddedServers.ACCESS_KEY
              + " AWS_SECRET_ACCESS_KEY="
              + EmbeddedServers.SECRET_KEY);
      out.line("    ./coffer list --storage s3://rayerp-backups/production --s3-endpoint " + s3url);
      out.line("  MongoDB: " + EmbeddedServers.uri(mongo) + " (databases erp and erp_restored)");
      startConsole(
          out,
          new io.fabric8.kubernetes.client.KubernetesClientBuilder()
              .withConfig(
                  io.fabric8.kubernetes.client.Config.fromKubeconfig(Files.readString(kubeconfig)))
              .build(),
          null);
      Thread.currentThread().join();
    }

    private final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public void close() {
      if (!closed.compareAndSet(false, true)) return;
      if (console != null) console.close();
      if (operator != null) operator.stop();
      if (kubelet != null) kubelet.close();
      if (cluster != null) cluster.close();
      if (mongo != null) mongo.shutdownNow();
      if (s3 != null) {
        try {
          s3.stop();
        } catch (Exception e) {
          // going away anyway
        }
      }
      if (kube != null) kube.close();
    }
  }

  private Checks run(Parts p) throws Exception {
    Checks checks = new Checks();
    out.step("1/5", "Starting the parts");
    KubernetesClient operatorClient;
    if (p.real) {
      long t = System.nanoTime();
      p.cluster = Cluster.start(dir, home.resolve("crds"), home.resolve("charts/coffer"));
      takeSignals(); // helm's Go runtime, loaded just now, took them
      p.client = p.cluster.admin();
      p.cluster.namespace(NS);
      operatorClient = p.cluster.operatorClient();
      out.detail(
          String.format(
              "Kubernetes       %s: etcd, kube-apiserver, controller manager, scheduler v%s, up in %.1f s; crds/*.yml and the chart's RBAC",
              p.cluster.controlPlane().server(),
              ControlPlane.VERSION,
              (System.nanoTime() - t) / 1e9));
      out.detail(
          "                 installed; namespace rayerp enforces Pod Security \"restricted\"; nodes node-a and node-b run pods as local processes");
    } else {
      p.kube = new MockKubernetes();
      p.client = p.kube.client();
      operatorClient = p.client;
      try (Stream<Path> crds = Files.list(home.resolve("crds"))) {
        for (Path crd : crds.filter(f -> f.toString().endsWith(".yml")).sorted().toList()) {
          try (InputStream in = Files.newInputStream(crd)) {
            p.client
                .resource(
                    p.client
                        .getKubernetesSerialization()
                        .unmarshal(in, CustomResourceDefinition.class))
                .create();
          }
        }
      }
      p.client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
          .create();
      out.detail(
          "Kubernetes API   "
              + p.client.getMasterUrl()
              + " (fabric8 mock, CRUD mode, with crds/*.yml installed)");
    }
    p.mongo = EmbeddedServers.mongo();
    Map<String, Long> seeded;
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(p.mongo))) {
      seeded = new RayErpData(42, scale).seed(c);
    }
    long docs = seeded.values().stream().mapToLong(Long::longValue).sum();
    out.detail(
        String.format(
            "MongoDB          %s (mongo-java-server): database erp, %d collections, %,d documents",
            EmbeddedServers.uri(p.mongo), seeded.size(), docs));
    Path uploads = Files.createDirectories(dir.resolve("volumes/rayerp-uploads"));
    long uploadBytes = new RayErpData(43, scale).uploads(uploads);
    Path restoredUploads = Files.createDirectories(dir.resolve("volumes/rayerp-uploads-restored"));
    out.detail(
        String.format(
            "Volume           rayerp-uploads -> %s (%.1f MB of contracts, scans and specs)",
            uploads, uploadBytes / 1e6));
    Path bucketRoot = Files.createDirectories(dir.resolve("s3"));
    p.s3 = EmbeddedServers.s3(bucketRoot);
    EmbeddedServers.makeBucket(p.s3, "rayerp-backups");
    out.detail(
        "S3               "
            + EmbeddedServers.endpoint(p.s3)
            + " (S3Proxy over "
            + bucketRoot
            + "), bucket rayerp-backups");
    if (p.real) {
      p.cluster.claim(NS, "rayerp-uploads", uploads);
      p.cluster.claim(NS, "rayerp-uploads-restored", restoredUploads);
    } else {
      p.kubelet =
          new LocalKubelet(p.kube, Files.createDirectories(dir.resolve("pods")))
              .claim("rayerp-uploads", uploads)
              .claim("rayerp-uploads-restored", restoredUploads);
    }
    var config =
        new CofferOperator.Config(
            new JobFactory.Settings(ImageRuntime.REFERENCE, "IfNotPresent"),
            Set.of(),
            Duration.ofSeconds(2),
            Duration.ofSeconds(1),
            Duration.ofSeconds(30),
            Clock.systemUTC(),
            null);
    // fabric8's mock knows no server-side apply: there the status is replaced by a JSON patch
    p.operator =
        CofferOperator.create(operatorClient, p.real ? config : config.withoutServerSideApply());
    p.operator.start();
    out.detail(
        "Operator         running"
            + (p.real ? " as the chart's ServiceAccount" : "")
            + "; Jobs become local `coffer` processes (the "
            + (p.real ? "nodes are" : "kubelet is")
            + " simulated)");

    out.step(
        "2/5",
        "Applying samples/secrets.yaml (with demo values), backup-on-demand.yaml and schedule-nightly.yaml");
    Files.writeString(
        dir.resolve("ops.key"),
        "# demo key, made by coffer demo\n# public key: "
            + p.identity.recipient()
            + "\n"
            + p.identity.identity()
            + "\n");
    Applier apply =
        new Applier(
            p.client,
            home.resolve("samples"),
            out,
            Map.of(
                "rayerp-mongodb/uri",
                EmbeddedServers.uri(p.mongo),
                "backup-bucket/AWS_ACCESS_KEY_ID",
                EmbeddedServers.ACCESS_KEY,
                "backup-bucket/AWS_SECRET_ACCESS_KEY",
                EmbeddedServers.SECRET_KEY,
                "backup-recipients/recipients",
                "# demo key\n" + p.identity.recipient() + "\n",
                "backup-identity/identity",
                Files.readString(dir.resolve("ops.key"))),
            EmbeddedServers.endpoint(p.s3));
    apply.file("secrets.yaml");
    apply.file("backup-on-demand.yaml");
    apply.file("schedule-nightly.yaml");
    Watch watch = new Watch(p.client, out);
    out.blank();
    watch.header();
    Backup backup =
        watch.until(
            Duration.ofMinutes(5),
            () ->
                terminal(
                    p.client
                        .resources(Backup.class)
                        .inNamespace(NS)
                        .withName("rayerp-before-upgrade")
                        .get()));
    checks.add(
        "the backup succeeded",
        backup != null && backup.getStatus().phase == Phase.Succeeded,
        backup == null
            ? "timed out"
            : backup.getStatus().phase == Phase.Succeeded
                ? backup.getStatus().size
                    + " in "
                    + backup.getStatus().duration
                    + ", "
                    + backup.getStatus().location
                : backup.getStatus().lastError);
    if (backup == null || backup.getStatus().phase != Phase.Succeeded) return checks;
    long expected =
        seeded.entrySet().stream()
            .filter(e -> !e.getKey().equals("sessions"))
            .mapToLong(Map.Entry::getValue)
            .sum();
    checks.add(
        "it holds every document but the excluded sessions",
        backup.getStatus().contents.documents == expected,
        String.format("%,d of %,d", backup.getStatus().contents.documents, expected));
    BackupSchedule schedule =
        p.client.resources(BackupSchedule.class).inNamespace(NS).withName("rayerp-nightly").get();
    checks.add(
        "the nightly schedule knows its next run",
        schedule.getStatus() != null && schedule.getStatus().nextScheduleTime != null,
        schedule.getStatus() == null
            ? "no status"
            : "next run " + schedule.getStatus().nextScheduleTime);

    out.step(
        "3/5",
        "Applying restore-dry-run.yaml (a preview) and restore-into-new-database.yaml (a copy into erp_restored)");
    Map<String, Long> before = Verify.counts(EmbeddedServers.uri(p.mongo), "erp");
    apply.file("restore-dry-run.yaml");
    apply.file("restore-into-new-database.yaml");
    out.blank();
    watch.header();
    Restore preview =
        watch.until(
            Duration.ofMinutes(5),
            () ->
                terminal(
                    p.client
                        .resources(Restore.class)
                        .inNamespace(NS)
                        .withName("rayerp-preview")
                        .get()));
    Restore copy =
        watch.until(
            Duration.ofMinutes(5),
            () ->
                terminal(
                    p.client
                        .resources(Restore.class)
                        .inNamespace(NS)
                        .withName("rayerp-copy")
                        .get()));
    checks.add(
        "the preview planned without touching data",
        preview != null
            && preview.getStatus().phase == Phase.Succeeded
            && preview.getStatus().plan != null
            && !preview.getStatus().plan.isEmpty()
            && before.equals(Verify.counts(EmbeddedServers.uri(p.mongo), "erp")),
        preview == null
            ? "timed out"
            : preview.getStatus().plan == null
                ? preview.getStatus().lastError
                : preview.getStatus().plan.size() + " items planned");
    checks.add(
        "the copy restored",
        copy != null && copy.getStatus().phase == Phase.Succeeded,
        copy == null
            ? "timed out"
            : copy.getStatus().phase == Phase.Succeeded
                ? String.format(
                    "%,d documents, %d files in %s",
                    copy.getStatus().documents, copy.getStatus().files, copy.getStatus().duration)
                : copy.getStatus().lastError);

    out.step("4/5", "Checking the copy against the source, document by document and byte by byte");
    Verify.Outcome db =
        Verify.databases(
            EmbeddedServers.uri(p.mongo),
            "erp",
            "erp_restored",
            backup.getStatus().contents.collectionCounts.keySet());
    checks.add("erp_restored equals erp", db.ok(), db.detail());
    Verify.Outcome files = Verify.trees(uploads, restoredUploads);
    checks.add("the restored uploads equal the originals", files.ok(), files.detail());

    out.step("5/5", "Where the archive lies, and how to open it without Coffer");
    String prefix = "production/" + backup.getStatus().backupId + "/archive.zip.age";
    Path archive = bucketRoot.resolve("rayerp-backups").resolve(prefix);
    checks.add(
        "the encrypted archive is in the bucket folder",
        Files.isRegularFile(archive),
        archive.toString());
    String command =
        "age -d -i "
            + dir.resolve("ops.key")
            + " "
            + archive
            + " > /tmp/rayerp.zip && unzip -l /tmp/rayerp.zip";
    out.detail(
        "archive   "
            + archive
            + " ("
            + backup.getStatus().size
            + ", sha256 "
            + backup.getStatus().sha256.substring(0, 16)
            + "...)");
    out.detail("open it   " + command);
    out.detail(
        "or alone  ./coffer restore --archive "
            + archive
            + " --identity-file "
            + dir.resolve("ops.key")
            + " --mongodb-uri ...");
    checks.add(
        "the archive alone is enough (coffer ... --archive)",
        archiveAlone(archive, dir.resolve("ops.key"), backup),
        "it names its backup and carries its manifest");
    checks.add(
        "no secret in a status, event, Job, pod log or result",
        noSecrets(p),
        "S3 secret key, age private key searched");
    Verify.Outcome age =
        Verify.openWithAge(archive, dir.resolve("ops.key"), dir.resolve("rayerp.zip"));
    if (age != null) checks.add("age and unzip open it", age.ok(), age.detail());
    else
      out.detail(
          "(age or unzip is not installed here, so the demo did not run that command itself)");
    return checks;
  }

  /**
   * The archive file on its own, as `coffer restore --archive` reads it: its manifest names the
   * backup and every entry.
   */
  private static boolean archiveAlone(Path archive, Path key, Backup backup) {
    try {
      var alone =
          Engine.inspect(
              null,
              archive.toString(),
              null,
              new Request.Decryption(key.toString(), null),
              new Secrets(Map.of()));
      return alone.backup().id().equals(backup.getStatus().backupId)
          && alone.manifest().entries().size()
              > backup.getStatus().contents.collectionCounts.size();
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Searches everything the system wrote for the demo's secret values: statuses, events, Jobs, pod
   * logs and results.
   */
  private boolean noSecrets(Parts p) throws IOException {
    var json = p.client.getKubernetesSerialization();
    StringBuilder seen = new StringBuilder();
    seen.append(json.asJson(p.client.resources(Backup.class).inAnyNamespace().list()));
    seen.append(json.asJson(p.client.resources(Restore.class).inAnyNamespace().list()));
    seen.append(json.asJson(p.client.resources(BackupSchedule.class).inAnyNamespace().list()));
    seen.append(json.asJson(p.client.v1().events().inAnyNamespace().list()));
    seen.append(json.asJson(p.client.batch().v1().jobs().inAnyNamespace().list()));
    try (Stream<Path> files = Files.walk(dir)) { // the pods' folders, wherever the nodes keep them
      // what the pods printed and their termination messages (the mounted Secret files themselves
      // are, of course, secrets)
      for (Path f :
          files
              .filter(
                  x ->
                      x.getFileName().toString().equals("log.txt")
                          || x.getFileName().toString().equals("termination-log"))
              .toList()) {
        seen.append(Files.readString(f));
      }
    }
    String all = seen.toString();
    if (!all.contains("completed in") || !all.contains("rayerp-before-upgrade"))
      return false; // the search must have had something to search
    return !all.contains(EmbeddedServers.SECRET_KEY)
        && !all.contains(p.identity.identity())
        && !all.contains(p.identity.identity().toLowerCase(Locale.ROOT));
  }

  private static <T extends HasMetadata> T terminal(T r) {
    Phase phase =
        r == null
            ? null
            : r instanceof Backup b
                ? (b.getStatus() == null ? null : b.getStatus().phase)
                : r instanceof Restore x
                    ? (x.getStatus() == null ? null : x.getStatus().phase)
                    : null;
    return phase != null && phase.terminal() ? r : null;
  }

  /**
   * Applies sample files: Secrets get demo values, S3 endpoints point at the embedded S3; the rest
   * goes as written.
   */
  static final class Applier {
    private final KubernetesClient client;
    private final Path samples;
    private final Console out;
    private final Map<String, String> secretValues;
    private final String endpoint;
    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

    Applier(
        KubernetesClient client,
        Path samples,
        Console out,
        Map<String, String> secretValues,
        String endpoint) {
      this.client = client;
      this.samples = samples;
      this.out = out;
      this.secretValues = secretValues;
      this.endpoint = endpoint;
    }

    void file(String name) throws IOException {
      List<JsonNode> docs = new ArrayList<>();
      try (MappingIterator<JsonNode> it =
          yaml.readerFor(JsonNode.class).readValues(samples.resolve(name).toFile())) {
        while (it.hasNext()) {
          JsonNode n = it.next();
          if (n != null && !n.isEmpty()) docs.add(n);
        }
      }
      for (JsonNode doc : docs) {
        String kind = doc.path("kind").asText();
        String objName = doc.path("metadata").path("name").asText();
        List<String> changed = new ArrayList<>();
        if (kind.equals("Secret")) {
          ObjectNode data = (ObjectNode) doc.path("stringData");
          data.fieldNames()
              .forEachRemaining(
                  k -> {
                    String v = secretValues.get(objName + "/" + k);
                    if (v != null) {
                      data.put(k, v);
                      changed.add(k);
                    }
                  });
        }
        JsonNode s3 =
            kind.equals("BackupSchedule")
                ? doc.path("spec").path("template").path("storage").path("s3")
                : doc.path("spec").path("storage").path("s3");
        if (s3 instanceof ObjectNode o && o.has("endpoint")) {
          o.put("endpoint", endpoint);
          changed.add("storage.s3.endpoint");
        }
        String json = doc.toString();
        HasMetadata obj =
            switch (kind) {
              case "Backup" -> client.getKubernetesSerialization().unmarshal(json, Backup.class);
              case "BackupSchedule" ->
                  client.getKubernetesSerialization().unmarshal(json, BackupSchedule.class);
              case "Restore" -> client.getKubernetesSerialization().unmarshal(json, Restore.class);
              case "Secret" -> client.getKubernetesSerialization().unmarshal(json, Secret.class);
              case "ConfigMap" ->
                  client.getKubernetesSerialization().unmarshal(json, ConfigMap.class);
              default ->
                  throw new IllegalArgumentException(
                      name + ": the demo does not apply kind " + kind);
            };
        client.resource(obj).create();
        out.detail(
            String.format(
                "%-40s %s",
                kind.toLowerCase() + "/" + objName + " created",
                changed.isEmpty() ? "" : "(demo values: " + String.join(", ", changed) + ")"));
      }
    }
  }
}
