package io.coffer.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.sun.net.httpserver.HttpServer;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleStatus;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.job.JobFactory;
import io.coffer.protocol.BackupRequest;
import io.coffer.testing.Cluster;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.ImageRuntime;
import io.coffer.testing.MutableClock;
import io.coffer.testing.NodeAgent;
import io.coffer.testing.RealCluster;
import io.coffer.testing.Specs;
import io.coffer.testing.TestStorage;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.bson.Document;
import org.gaul.s3proxy.S3Proxy;

/**
 * What the operator scenarios share, started once per JVM (the suites run one after another in it):
 * a real control plane ({@link Cluster}: kube-apiserver with RBAC and the admission plugins, etcd,
 * the Job, garbage-collector and PV controllers, the scheduler), the operator authenticated as the
 * Helm chart's ServiceAccount, in a namespace enforcing Pod Security "restricted", MongoDB with
 * RayERP's collections, an S3 bucket, Secrets, volumes; and the helpers the scenarios use to make
 * resources and wait for them. Simulated: the nodes ({@link NodeAgent} runs each pod as a local
 * process: the engine from this build). Real: the operator, the engine, MongoDB's wire protocol
 * (mongo-java-server), S3 (S3Proxy).
 */
final class OperatorHarness {
  private static boolean started;

  private OperatorHarness() {}

  static Cluster cluster;

  static KubernetesClient client;

  static MongoServer mongo;

  static S3Proxy s3;

  static Operator operator;

  static Cluster kubelet;

  static AgeKeys.Identity identity = AgeKeys.generate();

  static final String NS = "rayerp";

  static Path restoredUploads;

  static final MutableClock clock = new MutableClock();

  static synchronized void start() throws Exception {
    if (started) return;
    started = true;
    cluster = RealCluster.get();
    client = cluster.admin();
    cluster.namespace(NS);
    mongo = EmbeddedServers.mongo();
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 2000; i++)
        docs.add(new Document("_id", i).append("name", "Employee " + i));
      c.getDatabase("erp").getCollection("employees").insertMany(docs);
      c.getDatabase("erp")
          .getCollection("invoices")
          .insertOne(new Document("_id", 1).append("total", 10));
    }
    s3 = EmbeddedServers.s3();
    EmbeddedServers.makeBucket(s3, "backups");
    secret("mongo", Map.of("uri", EmbeddedServers.uri(mongo)));
    secret(
        "s3",
        Map.of(
            "AWS_ACCESS_KEY_ID",
            EmbeddedServers.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY",
            EmbeddedServers.SECRET_KEY));
    secret(
        "s3-wrong",
        Map.of(
            "AWS_ACCESS_KEY_ID",
            EmbeddedServers.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY",
            "wrong-secret"));
    secret("age", Map.of("recipients", identity.recipient().encoded() + "\n"));
    secret("age-key", Map.of("identity", "# ops\n" + identity.encoded() + "\n"));
    Path work = Files.createTempDirectory("coffer-operator-it");
    restoredUploads = Files.createDirectories(work.resolve("restored-uploads"));
    kubelet = cluster;
    cluster.claim(NS, "uploads", Files.createDirectories(work.resolve("uploads")));
    cluster.claim(NS, "restored-uploads", restoredUploads);
    Files.writeString(work.resolve("uploads/contract.txt"), "signed");
    // 12 MiB that do not compress: with an upload cap of a few MiB/s a backup of it runs for
    // seconds
    Path scans = Files.createDirectories(work.resolve("scans"));
    byte[] noise = new byte[12 << 20];
    new Random(7).nextBytes(noise);
    Files.write(scans.resolve("scan-0001.pdf"), noise);
    cluster.claim(NS, "scans", scans);
    webhook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    webhook.createContext(
        "/hooks/" + WEBHOOK_TOKEN,
        x -> {
          notifications.add(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          x.sendResponseHeaders(202, -1);
          x.close();
        });
    webhook.start();
    notifier =
        new WebhookNotifier(
            URI.create(
                "http://127.0.0.1:" + webhook.getAddress().getPort() + "/hooks/" + WEBHOOK_TOKEN),
            false,
            clock,
            System.err::println);
    operator = newOperator();
    operator.start();
    Runtime.getRuntime().addShutdownHook(new Thread(OperatorHarness::stop));
  }

  /**
   * The failure notifications the operator sent, as the bodies a local receiver (the JDK's
   * HttpServer, standing in for Slack or Alertmanager) was given; its URL holds a token, as
   * Slack's.
   */
  static final List<String> notifications = new CopyOnWriteArrayList<>();

  static final String WEBHOOK_TOKEN = "T0K3N-of-the-webhook";
  static HttpServer webhook;
  static WebhookNotifier notifier;

  /** Where a served download listens (a free port: Job pods share this host's network). */
  static final int DOWNLOAD_PORT;

  static {
    try {
      DOWNLOAD_PORT = EmbeddedServers.freePort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The operator the scenarios run (as the chart's ServiceAccount), not started. */
  static Operator newOperator() {
    return CofferOperator.create(
        cluster.operatorClient(),
        new CofferOperator.Config(
                new JobFactory.Settings(ImageRuntime.REFERENCE, "IfNotPresent", DOWNLOAD_PORT),
                Set.of(NS),
                Duration.ofMillis(200),
                Duration.ofMillis(300),
                Duration.ofMillis(300),
                clock,
                null)
            .withNotifier(notifier));
  }

  /** Stops the operator and starts a new one, as a restarted pod would. */
  static void restartOperator() {
    operator.stop();
    operator = newOperator();
    operator.start();
  }

  /** At the JVM's end (the cluster stops with it too). */
  static void stop() {
    try {
      operator.stop();
      mongo.shutdownNow();
      s3.stop();
    } catch (Exception e) {
      // the JVM is ending
    }
  }

  static void secret(String name, Map<String, String> data) {
    client
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withStringData(data)
                .build())
        .create();
  }

  /**
   * RayERP's full backup: MongoDB (database erp) and the uploads volume, to S3, encrypted to the
   * team's recipient.
   */
  static Backup backup(String name, String credentials) {
    return Specs.backup(NS, name)
        .mongo("mongo", "uri", "erp")
        .files("uploads", "uploads")
        .s3(EmbeddedServers.endpoint(s3), "backups", "rayerp", credentials)
        .recipients("age", "recipients")
        .backoffLimit(1)
        .build();
  }

  static Backup await(String name, Predicate<Backup> done) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 90_000;
    Backup b = null;
    while (System.currentTimeMillis() < deadline) {
      b = client.resources(Backup.class).inNamespace(NS).withName(name).get();
      if (b != null && done.test(b)) return b;
      Thread.sleep(100);
    }
    throw new AssertionError(
        "timed out waiting for Backup "
            + name
            + "; last seen: "
            + (b == null
                ? "no such Backup"
                : client.getKubernetesSerialization().asJson(b.getMetadata())
                    + " "
                    + client.getKubernetesSerialization().asJson(b.getStatus()))
            + "; jobs: "
            + client.batch().v1().jobs().inNamespace(NS).list().getItems().stream()
                .map(j -> j.getMetadata().getName())
                .toList()
            + "; its jobs and pods: "
            + client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(JobFactory.LABEL_BACKUP, name)
                .list()
                .getItems()
                .stream()
                .map(
                    j ->
                        j.getMetadata().getName()
                            + " "
                            + client.getKubernetesSerialization().asJson(j.getStatus()))
                .toList()
            + " "
            + client.pods().inNamespace(NS).list().getItems().stream()
                .filter(p -> p.getMetadata().getName().startsWith(name + "-"))
                .map(
                    p ->
                        p.getMetadata().getName()
                            + " "
                            + client.getKubernetesSerialization().asJson(p.getStatus()))
                .toList());
  }

  static void incrementalChain(Backup f) throws Exception {
    Backup inc = backup("chain-inc", "s3");
    inc.getSpec().type = BackupSpec.Type.Incremental;
    inc.getSpec().storage.s3.prefix = "chains";
    inc.getSpec().chain = new BackupSpec.ChainSpec();
    inc.getSpec().chain.indexKeySecret = new KeyRef("index-key", "key");
    client.resource(inc).create();
    Backup i =
        await(
            "chain-inc",
            x ->
                x.getStatus() != null
                    && x.getStatus().phase != null
                    && x.getStatus().phase.terminal());
    assertThat(i.getStatus().phase).as(i.getStatus().lastError).isEqualTo(Phase.Succeeded);
    assertThat(i.getStatus().parent).isEqualTo("chain-full");
    assertThat(i.getStatus().storedBytes).isLessThan(f.getStatus().storedBytes);
    Job job = client.batch().v1().jobs().inNamespace(NS).withName(i.getStatus().jobName).get();
    BackupRequest request = (BackupRequest) JobFactory.request(job);
    assertThat(request.type()).isEqualTo("incremental");
    assertThat(request.chain().parent()).isEqualTo(f.getStatus().backupId);
    assertThat(request.chain().indexKeyFile()).isNotNull();
    // restoring the increment brings back the whole state, read from its chain
    Restore r = restore("chain-restore", "chain-inc", RestoreSpec.Mode.Merge);
    r.getSpec().target.files = List.of();
    client.resource(r).create();
    Restore done = awaitRestore("chain-restore");
    assertThat(done.getStatus().phase).as(done.getStatus().lastError).isEqualTo(Phase.Succeeded);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      assertThat(c.getDatabase("erp_chain_restore").getCollection("chain_extra").countDocuments())
          .isEqualTo(1);
      assertThat(c.getDatabase("erp_chain_restore").getCollection("invoices").countDocuments())
          .isEqualTo(1);
      assertThat(c.getDatabase("erp_chain_restore").getCollection("employees").countDocuments())
          .isEqualTo(2000);
    }
    // the full backup stays while the increment needs it
    client.resource(f).delete();
    await(
        "chain-full",
        x ->
            x.getStatus().lastError != null
                && x.getStatus().lastError.contains("builds on this one"));
    assertThat(TestStorage.s3(s3, "backups", "chains").list(f.getStatus().backupId)).isNotEmpty();
    client.resource(i).delete();
    awaitCondition(
        "both gone",
        () ->
            client.resources(Backup.class).inNamespace(NS).withName("chain-full").get() == null
                && client.resources(Backup.class).inNamespace(NS).withName("chain-inc").get()
                    == null);
    assertThat(TestStorage.s3(s3, "backups", "chains").list(f.getStatus().backupId)).isEmpty();
    // nothing to build on: a clear failure, no Job
    Backup orphan = backup("chain-orphan", "s3");
    orphan.getSpec().type = BackupSpec.Type.Incremental;
    orphan.getSpec().storage.s3.prefix = "elsewhere";
    orphan.getSpec().chain = new BackupSpec.ChainSpec();
    orphan.getSpec().chain.indexKeySecret = new KeyRef("index-key", "key");
    client.resource(orphan).create();
    Backup o =
        await("chain-orphan", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
    assertThat(o.getStatus().lastError)
        .contains("no Succeeded Backup with the same source, storage and chain.indexKeySecret");
    assertThat(
            client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel(JobFactory.LABEL_BACKUP, "chain-orphan")
                .list()
                .getItems())
        .isEmpty();
  }

  /**
   * A files backup of the 12 MiB scan folder, written at most at {@code mibps} MiB/s: it runs for
   * seconds.
   */
  static Backup slowBackup(String name, int mibps) {
    Backup b = backup(name, "s3");
    b.getSpec().type = BackupSpec.Type.Files;
    b.getSpec().source.mongodb = null;
    b.getSpec().source.files.get(0).name = "scans";
    b.getSpec().source.files.get(0).claimName = "scans";
    b.getSpec().storage.uploadLimitMiBps = mibps;
    b.getSpec().backoffLimit = 0;
    return b;
  }

  /**
   * A Restore of {@code backupName} into database erp_NAME and the restored-uploads volume, with
   * the team's identity.
   */
  static Restore restore(String name, String backupName, RestoreSpec.Mode mode) {
    return Specs.restore(NS, name)
        .backupName(backupName)
        .mode(mode)
        .identity("age-key", "identity")
        .renameDatabases(Map.of("erp", "erp_" + name.replace('-', '_')))
        .targetFiles("uploads", "restored-uploads")
        .build();
  }

  static Restore awaitRestore(String name) throws InterruptedException {
    return awaitRestore(
        name,
        r ->
            r.getStatus() != null && r.getStatus().phase != null && r.getStatus().phase.terminal());
  }

  /** Restore {@code name} once {@code done} holds, within 90 s. */
  static Restore awaitRestore(String name, Predicate<Restore> done) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 90_000;
    Restore r = null;
    while (System.currentTimeMillis() < deadline) {
      r = client.resources(Restore.class).inNamespace(NS).withName(name).get();
      if (r != null && done.test(r)) return r;
      Thread.sleep(100);
    }
    throw new AssertionError(
        "timed out; last status: "
            + (r == null ? null : client.getKubernetesSerialization().asJson(r.getStatus())));
  }

  static List<Backup> scheduled(String schedule) {
    return client
        .resources(Backup.class)
        .inNamespace(NS)
        .withLabel("coffer.io/schedule", schedule)
        .list()
        .getItems()
        .stream()
        .filter(b -> b.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  static void awaitCondition(String what, BooleanSupplier done) throws InterruptedException {
    awaitCondition(what, done, () -> "");
  }

  /** {@code seen}: what to report when it times out. */
  static void awaitCondition(String what, BooleanSupplier done, Supplier<String> seen)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (!done.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline)
        throw new AssertionError("timed out waiting for " + what + "; seen: " + seen.get());
      Thread.sleep(100);
    }
  }

  static boolean noActive(String schedule) {
    var st = status(schedule);
    return st != null && (st.active == null || st.active.isEmpty());
  }

  static BackupScheduleStatus status(String name) {
    BackupSchedule s = client.resources(BackupSchedule.class).inNamespace(NS).withName(name).get();
    return s == null ? null : s.getStatus();
  }

  static Backup annotate(String name, String value) {
    return patch(
        Backup.class,
        name,
        "{\"metadata\":{\"annotations\":{\"coffer.io/verify-requested\":\"" + value + "\"}}}");
  }

  /** The team's bucket (s3://backups/rayerp on the harness's S3), opened as the engine opens it. */
  static io.coffer.engine.storage.Storage bucket() throws java.io.IOException {
    return io.coffer.engine.storage.StorageLocations.open(
        "s3://backups/rayerp",
        EmbeddedServers.endpoint(s3),
        null,
        Map.of(
            "AWS_ACCESS_KEY_ID",
            EmbeddedServers.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY",
            EmbeddedServers.SECRET_KEY));
  }

  /**
   * A merge patch, as {@code kubectl patch --type merge} sends it: no resource version, so it never
   * conflicts with the operator's status writes (an {@code edit} sends the version it read and
   * loses that race on a real server).
   */
  static <T extends io.fabric8.kubernetes.api.model.HasMetadata> T patch(
      Class<T> type, String name, String mergePatch) {
    return client
        .resources(type)
        .inNamespace(NS)
        .withName(name)
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            mergePatch);
  }
}
