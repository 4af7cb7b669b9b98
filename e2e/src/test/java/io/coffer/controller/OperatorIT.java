package io.coffer.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.job.JobFactory;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.Cluster;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.coffer.testing.MutableClock;
import io.coffer.testing.TestStorage;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.javaoperatorsdk.operator.Operator;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.bson.Document;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Backup, Restore and BackupSchedule controllers on a real control plane ({@link Cluster}: kube-apiserver with
 * RBAC and the admission plugins, etcd, the Job, garbage-collector and PV controllers, the scheduler), the operator
 * authenticated as the Helm chart's ServiceAccount, in a namespace enforcing Pod Security "restricted". Simulated:
 * the nodes ({@link io.coffer.testing.NodeAgent} runs each pod as a local process: the engine from this build).
 * Real: the operator, the engine, MongoDB's wire protocol (mongo-java-server), S3 (S3Proxy).
 */
class OperatorIT {
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

  @BeforeAll
  static void start() throws Exception {
    cluster = io.coffer.testing.RealCluster.get();
    client = cluster.admin();
    cluster.namespace(NS);
    mongo = EmbeddedServers.mongo();
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 2000; i++) docs.add(new Document("_id", i).append("name", "Employee " + i));
      c.getDatabase("erp").getCollection("employees").insertMany(docs);
      c.getDatabase("erp").getCollection("invoices").insertOne(new Document("_id", 1).append("total", 10));
    }
    s3 = EmbeddedServers.s3();
    EmbeddedServers.makeBucket(s3, "backups");
    secret("mongo", Map.of("uri", EmbeddedServers.uri(mongo)));
    secret("s3", Map.of("AWS_ACCESS_KEY_ID", EmbeddedServers.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedServers.SECRET_KEY));
    secret("s3-wrong", Map.of("AWS_ACCESS_KEY_ID", EmbeddedServers.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", "wrong-secret"));
    secret("age", Map.of("recipients", identity.recipient().encoded() + "\n"));
    secret("age-key", Map.of("identity", "# ops\n" + identity.encoded() + "\n"));
    Path work = Files.createTempDirectory("coffer-operator-it");
    restoredUploads = Files.createDirectories(work.resolve("restored-uploads"));
    kubelet = cluster;
    cluster.claim(NS, "uploads", Files.createDirectories(work.resolve("uploads")));
    cluster.claim(NS, "restored-uploads", restoredUploads);
    Files.writeString(work.resolve("uploads/contract.txt"), "signed");
    // 12 MiB that do not compress: with an upload cap of a few MiB/s a backup of it runs for seconds
    Path scans = Files.createDirectories(work.resolve("scans"));
    byte[] noise = new byte[12 << 20];
    new java.util.Random(7).nextBytes(noise);
    Files.write(scans.resolve("scan-0001.pdf"), noise);
    cluster.claim(NS, "scans", scans);
    operator = CofferOperator.create(cluster.operatorClient(), new CofferOperator.Config(new JobFactory.Settings("coffer:test", "IfNotPresent"),
        Set.of(), Duration.ofMillis(200), Duration.ofMillis(300), Duration.ofMillis(300), clock, null));
    operator.start();
  }

  @AfterAll
  static void stop() throws Exception {
    operator.stop();
    mongo.shutdownNow();
    s3.stop(); // the cluster is the JVM's: it stops with it
  }

  static void secret(String name, Map<String, String> data) {
    client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
        .withStringData(data).build()).create();
  }

  static Backup backup(String name, String credentials) {
    Backup b = new Backup();
    b.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    BackupSpec s = new BackupSpec();
    s.type = BackupSpec.Type.Full;
    s.source.mongodb = new BackupSpec.MongoSource();
    s.source.mongodb.uriSecret = new KeyRef("mongo", "uri");
    s.source.mongodb.include = List.of("erp");
    BackupSpec.FileVolume f = new BackupSpec.FileVolume();
    f.name = "uploads";
    f.claimName = "uploads";
    s.source.files = List.of(f);
    s.storage.s3 = new BackupSpec.S3();
    s.storage.s3.bucket = "backups";
    s.storage.s3.prefix = "rayerp";
    s.storage.s3.endpoint = EmbeddedServers.endpoint(s3);
    s.storage.s3.credentialsSecret = credentials;
    s.encryption = new BackupSpec.EncryptionSpec();
    s.encryption.recipients = new KeyRef("age", "recipients");
    s.backoffLimit = 1;
    b.setSpec(s);
    return b;
  }

  static Backup await(String name, Predicate<Backup> done) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 90_000;
    Backup b = null;
    while (System.currentTimeMillis() < deadline) {
      b = client.resources(Backup.class).inNamespace(NS).withName(name).get();
      if (b != null && done.test(b)) return b;
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for Backup " + name + "; last seen: " + (b == null ? "no such Backup"
        : client.getKubernetesSerialization().asJson(b.getMetadata()) + " " + client.getKubernetesSerialization().asJson(b.getStatus()))
        + "; jobs: " + client.batch().v1().jobs().inNamespace(NS).list().getItems().stream().map(j -> j.getMetadata().getName()).toList()
        + "; its jobs and pods: " + client.batch().v1().jobs().inNamespace(NS).withLabel(JobFactory.LABEL_BACKUP, name).list().getItems().stream()
            .map(j -> j.getMetadata().getName() + " " + client.getKubernetesSerialization().asJson(j.getStatus())).toList()
        + " " + client.pods().inNamespace(NS).list().getItems().stream().filter(p -> p.getMetadata().getName().startsWith(name + "-"))
            .map(p -> p.getMetadata().getName() + " " + client.getKubernetesSerialization().asJson(p.getStatus())).toList());
  }

  @Test
  void givenAFullEncryptedBackup_whenApplied_thenAJobRunsTheEngineAndTheStatusSaysWhatWasStored() throws Exception {
    client.resource(backup("nightly", "s3")).create();
    Backup b = await("nightly", x -> x.getStatus() != null && x.getStatus().phase != null && x.getStatus().phase.terminal());
    var s = b.getStatus();
    assertThat(s.phase).as(s.lastError).isEqualTo(Phase.Succeeded);
    assertThat(s.attempts).isEqualTo(1);
    assertThat(s.contents.documents).isEqualTo(2001);
    assertThat(s.contents.files).isEqualTo(1);
    assertThat(s.storedBytes).isPositive();
    assertThat(s.size).endsWith("KiB");
    assertThat(s.sha256).hasSize(64);
    assertThat(s.recipients).containsExactly(identity.recipient().encoded());
    assertThat(s.location).startsWith("s3://backups/rayerp/" + s.backupId + "/archive.zip.age (at http://127.0.0.1:");
    assertThat(s.progress.percent).isEqualTo(100.0);
    assertThat(s.progress.documents).isEqualTo(2001);
    assertThat(s.logTail).isNotEmpty().hasSizeLessThanOrEqualTo(20).anyMatch(l -> l.contains("completed in"));
    assertThat(s.conditions).anySatisfy(c -> {
      assertThat(c.getType()).isEqualTo("Ready");
      assertThat(c.getStatus()).isEqualTo("True");
      assertThat(c.getObservedGeneration()).isEqualTo(b.getMetadata().getGeneration());
    });
    // the stored backup is complete: its descriptor exists
    var storage = io.coffer.testing.TestStorage.s3(s3, "backups", "rayerp");
    assertThat(storage.exists(s.backupId + "/backup.json")).isTrue();
    // the Job: restricted pod security, no token, secrets by reference only
    Job job = client.batch().v1().jobs().inNamespace(NS).withName(s.jobName).get();
    var pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    var sc = pod.getContainers().get(0).getSecurityContext();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(job.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("nightly"));
    assertThat(client.getKubernetesSerialization().asJson(job)).doesNotContain(EmbeddedServers.SECRET_KEY).doesNotContain("mongodb://");
  }

  @Test
  void givenASucceededBackup_whenDeleted_thenItsStoredObjectsGoFirst_andAFailedDeletionKeepsItAndRetries() throws Exception {
    secret("s3-temp", Map.of("AWS_ACCESS_KEY_ID", EmbeddedServers.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedServers.SECRET_KEY));
    client.resource(backup("to-delete", "s3-temp")).create();
    Backup b = await("to-delete", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    assertThat(b.getMetadata().getLabels()).containsEntry("coffer.io/phase", "Succeeded").containsEntry("coffer.io/type", "Full");
    assertThat(b.getMetadata().getFinalizers()).isNotEmpty();
    assertThat(client.resources(Backup.class).inNamespace(NS).withLabel("coffer.io/phase", "Succeeded").list().getItems())
        .extracting(x -> x.getMetadata().getName()).contains("to-delete");
    var storage = io.coffer.testing.TestStorage.s3(s3, "backups", "rayerp");
    String id = b.getStatus().backupId;
    assertThat(storage.list(id)).isNotEmpty();
    // the credentials disappear: deletion fails, is reported, and the Backup stays
    client.secrets().inNamespace(NS).withName("s3-temp").delete();
    client.resource(b).delete();
    await("to-delete", x -> x.getStatus().lastError != null && x.getStatus().lastError.startsWith("deleting the stored backup failed"));
    assertThat(client.v1().events().inNamespace(NS).list().getItems()).anySatisfy(e -> {
      assertThat(e.getReason()).isEqualTo("DeleteFailed");
      assertThat(e.getType()).isEqualTo("Warning");
      assertThat(e.getInvolvedObject().getName()).isEqualTo("to-delete");
    });
    assertThat(storage.list(id)).isNotEmpty();
    // they come back: the next attempt deletes the objects, then the Backup goes
    secret("s3-temp", Map.of("AWS_ACCESS_KEY_ID", EmbeddedServers.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedServers.SECRET_KEY));
    long deadline = System.currentTimeMillis() + 60_000;
    while (client.resources(Backup.class).inNamespace(NS).withName("to-delete").get() != null && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
    }
    assertThat(client.resources(Backup.class).inNamespace(NS).withName("to-delete").get()).isNull();
    assertThat(storage.list(id)).isEmpty();
    assertThat(client.v1().events().inNamespace(NS).list().getItems()).extracting(e -> e.getReason())
        .contains("JobCreated", "Succeeded", "Deleting", "DeleteFailed", "Deleted");
  }

  @Test
  void givenAnOperatorRestartWhileAJobRuns_whenTheNewOperatorStarts_thenItAdoptsTheJobAndMakesNoDuplicate() throws Exception {
    kubelet.hold();
    try {
      client.resource(backup("restart", "s3")).create();
      await("restart", x -> x.getStatus() != null && x.getStatus().jobName != null);
      operator.stop();
      operator = CofferOperator.create(cluster.operatorClient(), new CofferOperator.Config(new JobFactory.Settings("coffer:test", "IfNotPresent"),
          Set.of(), Duration.ofMillis(200), Duration.ofMillis(300), Duration.ofMillis(300), clock, null));
      operator.start();
      Thread.sleep(1000); // the new operator reconciles the Backup while its Job waits
    } finally {
      kubelet.release();
    }
    Backup b = await("restart", x -> x.getStatus().phase == Phase.Succeeded);
    assertThat(b.getStatus().attempts).isEqualTo(1);
    assertThat(client.batch().v1().jobs().inNamespace(NS).withLabel(JobFactory.LABEL_BACKUP, "restart").list().getItems()).hasSize(1);
  }

  @Test
  void givenTwelveBackupsWhoseFirstAttemptIsKilledAtRandom_thenEachIsRetriedToSuccess_andNothingIncompleteIsLeft() throws Exception {
    kubelet.killFirstAttempts(new java.util.Random(2026), 2500);
    List<String> names = new ArrayList<>();
    try {
      for (int i = 0; i < 12; i++) { // 20 kill points of the engine alone: KillE2E
        Backup b = backup("chaos-" + i, "s3");
        b.getSpec().storage.s3.prefix = "chaos";
        b.getSpec().backoffLimit = 2;
        client.resource(b).create();
        names.add("chaos-" + i);
      }
      var storage = TestStorage.s3(s3, "backups", "chaos");
      for (String n : names) {
        Backup b = await(n, x -> x.getStatus() != null && x.getStatus().phase != null && x.getStatus().phase.terminal());
        assertThat(b.getStatus().phase).as(n + ": " + b.getStatus().lastError).isEqualTo(Phase.Succeeded);
        assertThat(b.getStatus().attempts).as(n).isBetween(1, 3);
        assertThat(b.getStatus().contents.documents).isEqualTo(2001);
        // what is stored is the complete backup and nothing else: no part of the killed attempt remains
        assertThat(storage.list(b.getStatus().backupId)).extracting(k -> k.substring(k.lastIndexOf('/') + 1))
            .containsExactlyInAnyOrder("archive.zip.age", "manifest.json.age", "backup.log", "backup.json");
      }
      long retried = names.stream().filter(n -> client.resources(Backup.class).inNamespace(NS).withName(n).get().getStatus().attempts > 1).count();
      assertThat(retried).as("first attempts killed before they finished").isGreaterThanOrEqualTo(5);
    } finally {
      kubelet.killFirstAttempts(null, 0);
      for (String n : names) {
        Backup b = client.resources(Backup.class).inNamespace(NS).withName(n).get();
        if (b != null) client.resource(b).delete();
      }
    }
  }

  @Test
  void givenS3OrMongoGoingAwayMidStream_thenEachAttemptFails_isRetriedWithinItsLimit_andTheBackupEndsFailedWithTheCause() throws Exception {
    try (io.coffer.testing.ChaosProxy s3Cut = new io.coffer.testing.ChaosProxy(s3.getPort());
        io.coffer.testing.ChaosProxy mongoCut = new io.coffer.testing.ChaosProxy(mongo.getLocalAddress().getPort())) {
      s3Cut.cutAfter(20_000); // every connection dies early in the upload, and the proxy then refuses new ones
      mongoCut.cutAfter(20_000); // the dump dies mid-collection
      secret("mongo-cut", Map.of("uri", "mongodb://127.0.0.1:" + mongoCut.port() + "/?serverSelectionTimeoutMS=2000"));
      Backup s3Down = backup("s3-down", "s3");
      s3Down.getSpec().storage.s3.endpoint = "http://127.0.0.1:" + s3Cut.port();
      s3Down.getSpec().storage.s3.prefix = "cut";
      s3Down.getSpec().backoffLimit = 1;
      Backup mongoDown = backup("mongo-down", "s3");
      mongoDown.getSpec().source.mongodb.uriSecret = new KeyRef("mongo-cut", "uri");
      mongoDown.getSpec().storage.s3.prefix = "cut";
      mongoDown.getSpec().backoffLimit = 1;
      client.resource(s3Down).create();
      client.resource(mongoDown).create();
      Backup a = await("s3-down", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
      Backup b = await("mongo-down", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
      assertThat(a.getStatus().attempts).isEqualTo(2);
      assertThat(b.getStatus().attempts).isEqualTo(2);
      assertThat(a.getStatus().lastError).containsIgnoringCase("S3").doesNotContain(EmbeddedServers.SECRET_KEY);
      assertThat(b.getStatus().lastError).containsIgnoringCase("MongoDB");
      var cut = TestStorage.s3(s3, "backups", "cut");
      assertThat(new io.coffer.engine.BackupStore(cut).list()).as("nothing of either is visible as a backup").allMatch(l -> l.descriptor() == null);
    }
  }

  @Test
  void givenTenBackupsInFlight_whenTheOperatorRestarts_thenAllConvergeWithOneJobEach() throws Exception {
    List<String> names = new ArrayList<>();
    kubelet.hold();
    try {
      for (int i = 0; i < 10; i++) {
        Backup b = backup("fleet-" + i, "s3");
        b.getSpec().type = BackupSpec.Type.Database;
        b.getSpec().source.files = List.of();
        b.getSpec().source.mongodb.include = List.of("erp.invoices");
        client.resource(b).create();
        names.add("fleet-" + i);
      }
      for (String n : names) await(n, x -> x.getStatus() != null && x.getStatus().jobName != null);
      operator.stop();
      operator = CofferOperator.create(cluster.operatorClient(), new CofferOperator.Config(new JobFactory.Settings("coffer:test", "IfNotPresent"),
          Set.of(), Duration.ofMillis(200), Duration.ofMillis(300), Duration.ofMillis(300), clock, null));
      operator.start();
      Thread.sleep(1000); // the new operator looks at all ten while their pods wait
    } finally {
      kubelet.release();
    }
    for (String n : names) {
      Backup b = await(n, x -> x.getStatus().phase != null && x.getStatus().phase.terminal());
      assertThat(b.getStatus().phase).as(n + ": " + b.getStatus().lastError).isEqualTo(Phase.Succeeded);
      assertThat(b.getStatus().attempts).isEqualTo(1);
      assertThat(client.batch().v1().jobs().inNamespace(NS).withLabel(JobFactory.LABEL_BACKUP, n).list().getItems()).as(n).hasSize(1);
    }
  }

  @Test
  void givenAFullBackupWithAChainIndex_whenAnIncrementalIsApplied_thenItBuildsOnIt_storesLittle_restoresTheWhole_andKeepsItsParent()
      throws Exception {
    secret("index-key", Map.of("key", "a-random-index-key-0123456789abcdef"));
    Backup full = backup("chain-full", "s3");
    full.getSpec().storage.s3.prefix = "chains";
    full.getSpec().chain = new BackupSpec.ChainSpec();
    full.getSpec().chain.indexKeySecret = new KeyRef("index-key", "key");
    client.resource(full).create();
    Backup f = await("chain-full", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      // a collection of its own, dropped at the end: the other tests count erp's documents
      c.getDatabase("erp").getCollection("chain_extra").insertOne(new Document("_id", 2).append("total", 99));
    }
    try {
      incrementalChain(f);
    } finally {
      try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
        c.getDatabase("erp").getCollection("chain_extra").drop();
      }
    }
  }

  void incrementalChain(Backup f) throws Exception {
    Backup inc = backup("chain-inc", "s3");
    inc.getSpec().type = BackupSpec.Type.Incremental;
    inc.getSpec().storage.s3.prefix = "chains";
    inc.getSpec().chain = new BackupSpec.ChainSpec();
    inc.getSpec().chain.indexKeySecret = new KeyRef("index-key", "key");
    client.resource(inc).create();
    Backup i = await("chain-inc", x -> x.getStatus() != null && x.getStatus().phase != null && x.getStatus().phase.terminal());
    assertThat(i.getStatus().phase).as(i.getStatus().lastError).isEqualTo(Phase.Succeeded);
    assertThat(i.getStatus().parent).isEqualTo("chain-full");
    assertThat(i.getStatus().storedBytes).isLessThan(f.getStatus().storedBytes);
    Job job = client.batch().v1().jobs().inNamespace(NS).withName(i.getStatus().jobName).get();
    assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .containsSubsequence("--type", "incremental", "--parent", f.getStatus().backupId).contains("--index-key-file");
    // restoring the increment brings back the whole state, read from its chain
    Restore r = restore("chain-restore", "chain-inc", RestoreSpec.Mode.Merge);
    r.getSpec().target.files = List.of();
    client.resource(r).create();
    Restore done = awaitRestore("chain-restore");
    assertThat(done.getStatus().phase).as(done.getStatus().lastError).isEqualTo(Phase.Succeeded);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      assertThat(c.getDatabase("erp_chain_restore").getCollection("chain_extra").countDocuments()).isEqualTo(1);
      assertThat(c.getDatabase("erp_chain_restore").getCollection("invoices").countDocuments()).isEqualTo(1);
      assertThat(c.getDatabase("erp_chain_restore").getCollection("employees").countDocuments()).isEqualTo(2000);
    }
    // the full backup stays while the increment needs it
    client.resource(f).delete();
    await("chain-full", x -> x.getStatus().lastError != null && x.getStatus().lastError.contains("builds on this one"));
    assertThat(TestStorage.s3(s3, "backups", "chains").list(f.getStatus().backupId)).isNotEmpty();
    client.resource(i).delete();
    awaitCondition("both gone", () -> client.resources(Backup.class).inNamespace(NS).withName("chain-full").get() == null
        && client.resources(Backup.class).inNamespace(NS).withName("chain-inc").get() == null);
    assertThat(TestStorage.s3(s3, "backups", "chains").list(f.getStatus().backupId)).isEmpty();
    // nothing to build on: a clear failure, no Job
    Backup orphan = backup("chain-orphan", "s3");
    orphan.getSpec().type = BackupSpec.Type.Incremental;
    orphan.getSpec().storage.s3.prefix = "elsewhere";
    orphan.getSpec().chain = new BackupSpec.ChainSpec();
    orphan.getSpec().chain.indexKeySecret = new KeyRef("index-key", "key");
    client.resource(orphan).create();
    Backup o = await("chain-orphan", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
    assertThat(o.getStatus().lastError).contains("no Succeeded Backup with the same source, storage and chain.indexKeySecret");
    assertThat(client.batch().v1().jobs().inNamespace(NS).withLabel(JobFactory.LABEL_BACKUP, "chain-orphan").list().getItems()).isEmpty();
  }

  @Test
  void givenAnIncrementalSchedule_whenRetentionWouldPruneParents_thenEveryLinkAKeptBackupNeedsStays() throws Exception {
    secret("index-key-2", Map.of("key", "another-random-index-key-0123456789"));
    Backup base = backup("links-full", "s3");
    base.getSpec().type = BackupSpec.Type.Files;
    base.getSpec().source.mongodb = null;
    base.getSpec().storage.s3.prefix = "links";
    base.getSpec().chain = new BackupSpec.ChainSpec();
    base.getSpec().chain.indexKeySecret = new KeyRef("index-key-2", "key");
    client.resource(base).create();
    await("links-full", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    java.time.ZonedDateTime t0 = java.time.ZonedDateTime.now(clock).withZoneSameInstant(java.time.ZoneOffset.UTC).plusHours(2)
        .withMinute(0).withSecond(0).withNano(0);
    BackupSchedule schedule = new BackupSchedule();
    schedule.setMetadata(new ObjectMetaBuilder().withName("links").withNamespace(NS).build());
    BackupScheduleSpec spec = new BackupScheduleSpec();
    spec.schedule = "0 * * * *";
    spec.startingDeadlineSeconds = 600L; // no catch-up run for the hour before the test's first
    BackupSpec template = base.getSpec();
    Backup inc = backup("unused", "s3");
    inc.getSpec().type = BackupSpec.Type.Incremental;
    inc.getSpec().source = template.source;
    inc.getSpec().storage = template.storage;
    inc.getSpec().chain = template.chain;
    spec.template = inc.getSpec();
    spec.retention = new BackupScheduleSpec.RetentionSpec();
    spec.retention.keepLast = 1;
    schedule.setSpec(spec);
    java.util.function.Function<Integer, String> nameAt = h -> "links-" + t0.plusHours(h).format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
    try {
      clock.setTo(t0.minusMinutes(30).toInstant());
      client.resource(schedule).create();
      awaitCondition("nextScheduleTime", () -> status("links") != null && status("links").nextScheduleTime != null);
      for (int h = 0; h < 3; h++) {
        awaitCondition("no active backup", () -> noActive("links"));
        clock.setTo(t0.plusHours(h).plusMinutes(1).toInstant());
        String name = nameAt.apply(h);
        Backup b = await(name, x -> x.getStatus() != null && x.getStatus().phase != null && x.getStatus().phase.terminal());
        assertThat(b.getStatus().phase).as(b.getStatus().lastError).isEqualTo(Phase.Succeeded);
        assertThat(b.getStatus().parent).isEqualTo(h == 0 ? "links-full" : nameAt.apply(h - 1));
      }
      Thread.sleep(1500); // retention had its looks: keepLast 1, yet every earlier increment is a link of the newest one's chain
      for (int h = 0; h < 3; h++) assertThat(client.resources(Backup.class).inNamespace(NS).withName(nameAt.apply(h)).get()).isNotNull();
      // the chain restores from its newest point
      Restore r = restore("links-restore", nameAt.apply(2), RestoreSpec.Mode.Merge);
      r.getSpec().target.mongodb = null;
      client.resource(r).create();
      Restore done = awaitRestore("links-restore");
      assertThat(done.getStatus().phase).as(done.getStatus().lastError).isEqualTo(Phase.Succeeded);
      assertThat(restoredUploads.resolve("contract.txt")).hasContent("signed");
    } finally {
      clock.setTo(java.time.Instant.now());
      client.resources(BackupSchedule.class).inNamespace(NS).withName("links").delete();
      for (Backup b : client.resources(Backup.class).inNamespace(NS).list().getItems()) {
        if (b.getMetadata().getName().startsWith("links")) client.resource(b).delete();
      }
    }
    // deleted together: children go first, each parent follows once nothing builds on it
    awaitCondition("chain deleted", () -> client.resources(Backup.class).inNamespace(NS).list().getItems().stream()
        .noneMatch(b -> b.getMetadata().getName().startsWith("links")));
  }

  @Test
  void givenInputsOnlyTheOperatorOrTheEngineCanJudge_thenEachEndsFailedOrInvalidWithAClearMessage_andNothingSpins() throws Exception {
    // a time zone the schema cannot know is wrong
    BackupSchedule mars = new BackupSchedule();
    mars.setMetadata(new ObjectMetaBuilder().withName("mars").withNamespace(NS).build());
    BackupScheduleSpec ms = new BackupScheduleSpec();
    ms.schedule = "0 2 * * *";
    ms.timeZone = "Mars/Olympus_Mons";
    ms.template = backup("unused", "s3").getSpec();
    mars.setSpec(ms);
    client.resource(mars).create();
    awaitCondition("invalid schedule", () -> status("mars") != null && status("mars").conditions.stream()
        .anyMatch(c -> "InvalidSpec".equals(c.getReason()) && c.getMessage().contains("unknown time zone 'Mars/Olympus_Mons'")));
    // a module the module map does not know: the engine says so, and the Backup fails without retrying in vain
    client.configMaps().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withName("modules")
        .endMetadata().withData(Map.of("modules.yaml", "modules:\n  hr: [erp.employees]\n")).build()).create();
    Backup unknownModule = backup("unknown-module", "s3");
    unknownModule.getSpec().source.mongodb.include = List.of();
    unknownModule.getSpec().source.mongodb.modules = List.of("payroll");
    unknownModule.getSpec().source.mongodb.moduleMap = new KeyRef("modules", "modules.yaml");
    unknownModule.getSpec().backoffLimit = 3; // not used: a bad input fails the same way every time
    client.resource(unknownModule).create();
    Backup um = await("unknown-module", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
    assertThat(um.getStatus().lastError).contains("payroll").endsWith("(not retried: it would fail again)");
    // a module map ConfigMap that does not exist: the pod cannot start, the Backup fails at once
    Backup noMap = backup("no-module-map", "s3");
    noMap.getSpec().source.mongodb.modules = List.of("hr");
    noMap.getSpec().source.mongodb.moduleMap = new KeyRef("no-such-configmap", "modules.yaml");
    client.resource(noMap).create();
    Backup nm = await("no-module-map", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
    assertThat(nm.getStatus().lastError).contains("no-such-configmap");
    // a Restore of a Backup that does not exist
    Restore ghost = restore("ghost", "no-such-backup", RestoreSpec.Mode.Merge);
    client.resource(ghost).create();
    Restore g = awaitRestore("ghost");
    assertThat(g.getStatus().phase).isEqualTo(Phase.Failed);
    assertThat(g.getStatus().lastError).isEqualTo("Backup no-such-backup does not exist in this namespace");
    // nothing spins: no further attempts or Jobs appear
    Thread.sleep(1500);
    assertThat(client.resources(Backup.class).inNamespace(NS).withName("unknown-module").get().getStatus().attempts).isEqualTo(1);
    assertThat(client.batch().v1().jobs().inNamespace(NS).withLabel(JobFactory.LABEL_BACKUP, "unknown-module").list().getItems()).hasSize(1);
    // a missing ConfigMap may yet be created: retried with back-off, within backoffLimit (1 here), then Failed
    assertThat(client.batch().v1().jobs().inNamespace(NS).withLabel(JobFactory.LABEL_BACKUP, "no-module-map").list().getItems()).hasSize(2);
    client.resources(BackupSchedule.class).inNamespace(NS).withName("mars").delete();
  }

  /** A files backup of the 12 MiB scan folder, written at most at {@code mibps} MiB/s: it runs for seconds. */
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

  @Test
  void givenARunningBackup_whenWatched_thenProgressIsRefreshedLive_andDeletingItStopsTheEngineAndLeavesNothingStored() throws Exception {
    client.resource(slowBackup("slow", 3)).create();
    Backup first = await("slow", x -> x.getStatus() != null && x.getStatus().phase == Phase.Running && x.getStatus().progress != null
        && x.getStatus().progress.bytes != null && x.getStatus().progress.bytes > 0);
    assertThat(first.getStatus().progress.percent).isGreaterThanOrEqualTo(0.0).isLessThan(100.0);
    assertThat(first.getStatus().progress.item).isNotBlank();
    long bytes = first.getStatus().progress.bytes;
    Backup later = await("slow", x -> x.getStatus().progress.bytes > bytes);
    assertThat(later.getStatus().phase).isEqualTo(Phase.Running);
    assertThat(later.getStatus().progress.percent).isLessThan(100.0);
    String id = later.getStatus().backupId;
    String job = later.getStatus().jobName;
    // deleted while it runs: the Job goes (its container is stopped), then the delete Job clears the storage
    client.resource(later).delete();
    awaitCondition("deletion", () -> client.resources(Backup.class).inNamespace(NS).withName("slow").get() == null);
    assertThat(kubelet.killed()).anyMatch(pod -> pod.startsWith(job + "-"));
    assertThat(io.coffer.testing.TestStorage.s3(s3, "backups", "rayerp").list(id)).isEmpty();
  }

  @Test
  void givenASlowScheduledBackup_whenTheNextRunComes_thenReplaceStopsIt_AllowRunsBoth_andAMissedStartingDeadlineSkipsTheRun()
      throws Exception {
    java.time.ZoneId utc = java.time.ZoneOffset.UTC;
    // runs every 10 minutes from t0 (an hour ahead of the test clock, wherever earlier tests left it)
    java.time.ZonedDateTime t0 = java.time.ZonedDateTime.now(clock).withZoneSameInstant(utc).plusHours(1).withMinute(0).withSecond(0).withNano(0);
    BackupSchedule schedule = new BackupSchedule();
    schedule.setMetadata(new ObjectMetaBuilder().withName("scans").withNamespace(NS).build());
    BackupScheduleSpec spec = new BackupScheduleSpec();
    spec.schedule = "*/10 * * * *";
    spec.concurrencyPolicy = BackupScheduleSpec.ConcurrencyPolicy.Replace;
    spec.startingDeadlineSeconds = 300L;
    spec.template = slowBackup("unused", 1).getSpec(); // 12 s per run
    schedule.setSpec(spec);
    java.util.function.Function<java.time.ZonedDateTime, String> nameAt =
        t -> "scans-" + t.format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
    try {
      clock.setTo(t0.minusMinutes(1).toInstant());
      client.resource(schedule).create();
      awaitCondition("nextScheduleTime", () -> status("scans") != null && status("scans").nextScheduleTime != null);
      // first run; it is still uploading when the second comes, and Replace stops it
      clock.setTo(t0.plusMinutes(1).toInstant());
      java.util.function.Supplier<String> report = () -> client.getKubernetesSerialization().asJson(status("scans")) + " events: "
          + client.v1().events().inNamespace(NS).list().getItems().stream().filter(e -> e.getInvolvedObject().getName().equals("scans"))
              .map(e -> e.getMessage()).toList() + " clock " + clock.instant();
      awaitCondition("first run " + nameAt.apply(t0), () -> client.resources(Backup.class).inNamespace(NS).withName(nameAt.apply(t0)).get() != null, report);
      Backup a = await(nameAt.apply(t0), x -> x.getStatus() != null && x.getStatus().phase == Phase.Running);
      clock.setTo(t0.plusMinutes(11).toInstant());
      awaitCondition("second run", () -> client.resources(Backup.class).inNamespace(NS).withName(nameAt.apply(t0.plusMinutes(10))).get() != null, report);
      await(nameAt.apply(t0.plusMinutes(10)), x -> x.getStatus() != null && x.getStatus().phase == Phase.Running);
      awaitCondition("replaced", () -> client.resources(Backup.class).inNamespace(NS).withName(nameAt.apply(t0)).get() == null);
      assertThat(kubelet.killed()).anyMatch(pod -> pod.startsWith(a.getStatus().jobName + "-"));
      // Allow: the third run starts while the second still runs
      patch(BackupSchedule.class, "scans", "{\"spec\":{\"concurrencyPolicy\":\"Allow\"}}");
      awaitCondition("policy seen", () -> status("scans").observedGeneration == 2L);
      clock.setTo(t0.plusMinutes(21).toInstant());
      awaitCondition("third run", () -> client.resources(Backup.class).inNamespace(NS).withName(nameAt.apply(t0.plusMinutes(20))).get() != null);
      Backup second = client.resources(Backup.class).inNamespace(NS).withName(nameAt.apply(t0.plusMinutes(10))).get();
      assertThat(second.getStatus().phase).as("the second run still runs beside the third").isEqualTo(Phase.Running);
      // the next run is missed by more than startingDeadlineSeconds (300 s): skipped, with a Warning event
      clock.setTo(t0.plusMinutes(38).toInstant());
      awaitCondition("missed run seen", () -> client.v1().events().inNamespace(NS).list().getItems().stream()
          .anyMatch(e -> e.getInvolvedObject().getName().equals("scans") && e.getMessage().contains("missed the run")
          && e.getMessage().contains(t0.plusMinutes(30).toLocalDateTime().toString().substring(0, 16))));
      assertThat(client.resources(Backup.class).inNamespace(NS).withName(nameAt.apply(t0.plusMinutes(30))).get()).isNull();
      // the schedule goes; the garbage collector follows the owner references to its Backups, and they take their stored objects
      client.resources(BackupSchedule.class).inNamespace(NS).withName("scans").withPropagationPolicy(
          io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete();
      awaitCondition("cleanup", () -> client.resources(Backup.class).inNamespace(NS).withLabel("coffer.io/schedule", "scans").list().getItems().isEmpty(),
          () -> client.resources(Backup.class).inNamespace(NS).withLabel("coffer.io/schedule", "scans").list().getItems().stream()
              .map(b -> b.getMetadata().getName() + " " + b.getMetadata().getDeletionTimestamp() + " " + client.getKubernetesSerialization().asJson(b.getStatus()))
              .toList() + " jobs: " + client.batch().v1().jobs().inNamespace(NS).list().getItems().stream().map(j -> j.getMetadata().getName()
                  + "=" + (j.getStatus() == null ? "-" : j.getStatus().getSucceeded() + "/" + j.getStatus().getFailed())).toList());
    } finally {
      clock.setTo(java.time.Instant.now());
    }
  }

  static Restore restore(String name, String backupName, RestoreSpec.Mode mode) {
    Restore r = new Restore();
    r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    RestoreSpec s = new RestoreSpec();
    s.backupName = backupName;
    s.mode = mode;
    s.decryption = new RestoreSpec.Decryption();
    s.decryption.identity = new KeyRef("age-key", "identity");
    s.target = new RestoreSpec.Target();
    s.target.mongodb = new RestoreSpec.TargetMongo();
    s.target.mongodb.renameDatabases = Map.of("erp", "erp_" + name.replace('-', '_'));
    BackupSpec.FileVolume f = new BackupSpec.FileVolume();
    f.name = "uploads";
    f.claimName = "restored-uploads";
    s.target.files = List.of(f);
    r.setSpec(s);
    return r;
  }

  static Restore awaitRestore(String name) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 90_000;
    Restore r = null;
    while (System.currentTimeMillis() < deadline) {
      r = client.resources(Restore.class).inNamespace(NS).withName(name).get();
      if (r != null && r.getStatus() != null && r.getStatus().phase != null && r.getStatus().phase.terminal()) return r;
      Thread.sleep(100);
    }
    throw new AssertionError("timed out; last status: " + (r == null ? null : client.getKubernetesSerialization().asJson(r.getStatus())));
  }

  @Test
  void givenASucceededBackup_whenRestores_areApplied_thenDryRunPlans_ReplaceNeedsConfirmation_andMergeRestoresOnce() throws Exception {
    client.resource(backup("for-restore", "s3")).create();
    await("for-restore", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      // dry run: a plan in status, nothing touched
      Restore dry = restore("dry", "for-restore", RestoreSpec.Mode.Replace);
      dry.getSpec().dryRun = true;
      client.resource(dry).create();
      var ds = awaitRestore("dry").getStatus();
      assertThat(ds.phase).as(ds.lastError).isEqualTo(Phase.Succeeded);
      assertThat(ds.plan).anySatisfy(i -> {
        assertThat(i.source).isEqualTo("erp.employees");
        assertThat(i.target).isEqualTo("erp_dry.employees");
        assertThat(i.documents).isEqualTo(2000);
        assertThat(i.action).isEqualTo("create");
      });
      assertThat(ds.plan).anySatisfy(i -> assertThat(i.kind).isEqualTo("files"));
      // (mongo-java-server lists a database once it is asked about it; what matters is that nothing was written)
      assertThat(c.getDatabase("erp_dry").listCollectionNames().into(new ArrayList<>())).isEmpty();
      // Replace without confirmation: the API server itself refuses it (the CRD's CEL rule), so no Job can exist
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.resource(restore("unconfirmed", "for-restore", RestoreSpec.Mode.Replace)).create())
          .isInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class).hasMessageContaining("set confirm: true")
          .satisfies(e -> assertThat(((io.fabric8.kubernetes.client.KubernetesClientException) e).getCode()).isEqualTo(422));
      assertThat(client.resources(Restore.class).inNamespace(NS).withName("unconfirmed").get()).isNull();
      // Merge into another database and volume
      client.resource(restore("copy", "for-restore", RestoreSpec.Mode.Merge)).create();
      Restore done = awaitRestore("copy");
      var cs = done.getStatus();
      assertThat(cs.phase).as(cs.lastError).isEqualTo(Phase.Succeeded);
      assertThat(cs.documents).isEqualTo(2001);
      assertThat(cs.files).isEqualTo(1);
      assertThat(c.getDatabase("erp_copy").getCollection("employees").countDocuments()).isEqualTo(2000);
      assertThat(Files.readString(restoredUploads.resolve("contract.txt"))).isEqualTo("signed");
      // one-shot: touching the finished Restore (as a re-sync would) starts nothing new
      patch(Restore.class, "copy", "{\"metadata\":{\"labels\":{\"resynced\":\"yes\"}}}");
      Thread.sleep(1500);
      assertThat(client.batch().v1().jobs().inNamespace(NS).withLabel(JobFactory.LABEL_RESTORE, "copy").list().getItems()).hasSize(1);
      assertThat(client.resources(Restore.class).inNamespace(NS).withName("copy").get().getStatus().phase).isEqualTo(Phase.Succeeded);
    }
    client.resource(restore("no-such", "missing-backup", RestoreSpec.Mode.Merge)).create();
    assertThat(awaitRestore("no-such").getStatus().lastError).contains("Backup missing-backup does not exist");
  }

  static List<Backup> scheduled(String schedule) {
    return client.resources(Backup.class).inNamespace(NS).withLabel("coffer.io/schedule", schedule).list().getItems().stream()
        .filter(b -> b.getMetadata().getDeletionTimestamp() == null).toList();
  }

  static void awaitCondition(String what, java.util.function.BooleanSupplier done) throws InterruptedException {
    awaitCondition(what, done, () -> "");
  }

  /** {@code seen}: what to report when it times out. */
  static void awaitCondition(String what, java.util.function.BooleanSupplier done, java.util.function.Supplier<String> seen) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (!done.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting for " + what + "; seen: " + seen.get());
      Thread.sleep(100);
    }
  }

  @Test
  void givenANightlySchedule_whenTheClockPassesItsRuns_thenItCreatesBackups_keepsTheNewest_catchesUpOnce_andHonoursSuspend()
      throws Exception {
    java.time.ZoneId berlin = java.time.ZoneId.of("Europe/Berlin");
    BackupSchedule schedule = new BackupSchedule();
    schedule.setMetadata(new ObjectMetaBuilder().withName("nightly").withNamespace(NS).build());
    BackupScheduleSpec spec = new BackupScheduleSpec();
    spec.frequency = new BackupScheduleSpec.Frequency();
    spec.frequency.every = BackupScheduleSpec.Frequency.Every.Daily;
    spec.frequency.time = "02:00";
    spec.timeZone = "Europe/Berlin";
    Backup template = backup("unused", "s3");
    template.getSpec().type = BackupSpec.Type.Database;
    template.getSpec().source.files = List.of();
    template.getSpec().source.mongodb.include = List.of("erp.invoices");
    spec.template = template.getSpec();
    spec.retention = new BackupScheduleSpec.RetentionSpec();
    spec.retention.keepLast = 2;
    spec.verifyAfterEachBackup = true;
    schedule.setSpec(spec);
    client.resource(schedule).create();
    awaitCondition("nextScheduleTime", () -> status("nightly") != null && status("nightly").nextScheduleTime != null);
    java.time.ZonedDateTime next = java.time.ZonedDateTime.parse(status("nightly").nextScheduleTime).withZoneSameInstant(berlin);
    assertThat(next.toLocalTime().toString()).isEqualTo("02:00");
    assertThat(scheduled("nightly")).isEmpty();

    for (int day = 0; day < 3; day++) {
      // the schedule must have seen the previous Backup finish, or concurrencyPolicy Forbid rightly skips this run
      awaitCondition("no active backup", () -> noActive("nightly"));
      clock.setTo(next.plusDays(day).plusMinutes(5).toInstant());
      int expected = Math.min(day + 1, 3);
      String name = "nightly-" + next.plusDays(day).format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
      awaitCondition(name, () -> scheduled("nightly").stream().anyMatch(b -> b.getMetadata().getName().equals(name)));
      await(name, b -> b.getStatus() != null && b.getStatus().phase == Phase.Succeeded);
    }
    // keepLast 2: the first night's Backup is pruned (and its stored objects deleted by its finalizer)
    String first = "nightly-" + next.format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
    awaitCondition("pruning", () -> scheduled("nightly").size() == 2 && client.resources(Backup.class).inNamespace(NS).withName(first).get() == null);
    awaitCondition("status", () -> status("nightly").retained == 2 && status("nightly").lastSuccessfulBackup != null);
    // each succeeded Backup of the schedule was verified once
    String last = status("nightly").lastSuccessfulBackup;
    Backup verified = await(last, b -> b.getStatus().verification != null && "Verified".equals(b.getStatus().verification.result));
    assertThat(verified.getStatus().verification.requested).isEqualTo("after-backup");
    assertThat(status("nightly").totalStoredBytes).isPositive();

    // five nights of downtime: one catch-up run, for the latest missed time
    awaitCondition("no active backup", () -> noActive("nightly"));
    clock.setTo(next.plusDays(7).plusHours(3).toInstant());
    String catchUp = "nightly-" + next.plusDays(7).format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
    awaitCondition(catchUp, () -> client.resources(Backup.class).inNamespace(NS).withName(catchUp).get() != null);
    Thread.sleep(1500);
    assertThat(client.resources(Backup.class).inNamespace(NS).withLabel("coffer.io/schedule", "nightly").list().getItems())
        .extracting(b -> b.getMetadata().getName()).noneMatch(n -> n.contains(next.plusDays(4).format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd"))));
    await(catchUp, b -> b.getStatus() != null && b.getStatus().phase == Phase.Succeeded);

    // suspended: no new run
    patch(BackupSchedule.class, "nightly", "{\"spec\":{\"suspend\":true}}");
    awaitCondition("suspended", () -> status("nightly").conditions.stream().anyMatch(c -> "suspended".equals(c.getMessage())));
    clock.setTo(next.plusDays(8).plusMinutes(5).toInstant());
    Thread.sleep(1500);
    String suspendedRun = "nightly-" + next.plusDays(8).format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmm"));
    assertThat(client.resources(Backup.class).inNamespace(NS).withName(suspendedRun).get()).isNull();

    // verification on its own cron: the newest succeeded Backup is verified at each firing
    patch(BackupSchedule.class, "nightly", "{\"spec\":{\"verificationSchedule\":\"0 12 * * *\"}}");
    Backup reverified = await(catchUp, b -> b.getStatus().verification != null && b.getStatus().verification.requested.startsWith("scheduled-")
        && "Verified".equals(b.getStatus().verification.result));
    assertThat(reverified.getStatus().verification.count).isGreaterThanOrEqualTo(2);
    assertThat(status("nightly").lastVerificationTime).isNotNull();
  }

  static boolean noActive(String schedule) {
    var st = status(schedule);
    return st != null && (st.active == null || st.active.isEmpty());
  }

  static io.coffer.api.BackupScheduleStatus status(String name) {
    BackupSchedule s = client.resources(BackupSchedule.class).inNamespace(NS).withName(name).get();
    return s == null ? null : s.getStatus();
  }

  @Test
  void givenATtl_whenItExpires_thenTheBackupAndItsStoredObjectsAreDeleted() throws Exception {
    Backup b = backup("short-lived", "s3");
    b.getSpec().ttl = "90m";
    client.resource(b).create();
    Backup done = await("short-lived", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    var storage = io.coffer.testing.TestStorage.s3(s3, "backups", "rayerp");
    assertThat(storage.list(done.getStatus().backupId)).isNotEmpty();
    Thread.sleep(1000);
    assertThat(client.resources(Backup.class).inNamespace(NS).withName("short-lived").get()).as("not yet expired").isNotNull();
    clock.advance(Duration.ofHours(2));
    try {
      awaitCondition("expiry", () -> client.resources(Backup.class).inNamespace(NS).withName("short-lived").get() == null);
    } finally {
      clock.advance(Duration.ofHours(-2));
    }
    assertThat(storage.list(done.getStatus().backupId)).isEmpty();
  }

  static Backup annotate(String name, String value) {
    return patch(Backup.class, name, "{\"metadata\":{\"annotations\":{\"coffer.io/verify-requested\":\"" + value + "\"}}}");
  }

  /**
   * A merge patch, as {@code kubectl patch --type merge} sends it: no resource version, so it never conflicts with the
   * operator's status writes (an {@code edit} sends the version it read and loses that race on a real server).
   */
  static <T extends io.fabric8.kubernetes.api.model.HasMetadata> T patch(Class<T> type, String name, String mergePatch) {
    return client.resources(type).inNamespace(NS).withName(name).patch(
        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), mergePatch);
  }

  @Test
  void givenASucceededBackup_whenVerificationIsRequested_thenChecksumAndDeepChecksRun_andDamageIsReported() throws Exception {
    Backup b = backup("verified", "s3");
    b.getSpec().verification = new BackupSpec.VerificationSpec();
    b.getSpec().verification.identity = new KeyRef("age-key", "identity");
    client.resource(b).create();
    Backup done = await("verified", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    // public-key mode: the backup Job holds no private key, though the Backup names one for deep verification
    Job backupJob = client.batch().v1().jobs().inNamespace(NS).withName(done.getStatus().jobName).get();
    assertThat(client.getKubernetesSerialization().asJson(backupJob)).doesNotContain("\"age-key\"").doesNotContain("AGE-SECRET-KEY");
    annotate("verified", "2026-11-26T10:00");
    Backup v1 = await("verified", x -> x.getStatus().verification != null && "2026-11-26T10:00".equals(x.getStatus().verification.requested)
        && !"Running".equals(x.getStatus().verification.result));
    assertThat(v1.getStatus().verification.result).as(v1.getStatus().verification.message).isEqualTo("Verified");
    assertThat(v1.getStatus().verification.deep).isFalse();
    annotate("verified", "deep");
    Backup v2 = await("verified", x -> "deep".equals(x.getStatus().verification.requested) && !"Running".equals(x.getStatus().verification.result));
    assertThat(v2.getStatus().verification.result).as(v2.getStatus().verification.message).isEqualTo("Verified");
    assertThat(v2.getStatus().verification.message).contains("2001 documents verified");
    // damage the stored archive: the next verification fails and says why
    var minio = io.minio.MinioClient.builder().endpoint(EmbeddedServers.endpoint(s3)).credentials(EmbeddedServers.ACCESS_KEY, EmbeddedServers.SECRET_KEY).build();
    byte[] junk = "not the archive".getBytes();
    minio.putObject(io.minio.PutObjectArgs.builder().bucket("backups").object("rayerp/" + done.getStatus().backupId + "/archive.zip.age")
        .stream(new java.io.ByteArrayInputStream(junk), junk.length, -1).build());
    annotate("verified", "after-damage");
    Backup v3 = await("verified", x -> "after-damage".equals(x.getStatus().verification.requested) && !"Running".equals(x.getStatus().verification.result));
    assertThat(v3.getStatus().verification.result).isEqualTo("Failed");
    assertThat(v3.getStatus().verification.message).contains("does not match its checksum");
    assertThat(v3.getStatus().phase).isEqualTo(Phase.Succeeded);
  }

  @Test
  void givenARunningRestore_whenABackupOfTheSameTargetIsApplied_thenTheBackupWaitsUntilTheRestoreEnds() throws Exception {
    client.resource(backup("source-of-restore", "s3")).create();
    await("source-of-restore", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    kubelet.hold();
    try {
      Restore r = restore("in-place", "source-of-restore", RestoreSpec.Mode.Merge);
      r.getSpec().target = null; // in place: the Backup's own database and volume
      client.resource(r).create();
      awaitCondition("restore job", () -> client.resources(Restore.class).inNamespace(NS).withName("in-place").get().getStatus() != null
          && client.resources(Restore.class).inNamespace(NS).withName("in-place").get().getStatus().jobName != null);
      client.resource(backup("during-restore", "s3")).create();
      Backup waiting = await("during-restore", x -> x.getStatus() != null && x.getStatus().conditions.stream()
          .anyMatch(c -> c.getMessage() != null && c.getMessage().contains("waiting for Restore in-place")));
      assertThat(waiting.getStatus().jobName).isNull();
      // a second restore of the same target waits too
      Restore second = restore("in-place-2", "source-of-restore", RestoreSpec.Mode.Merge);
      second.getSpec().target = null;
      client.resource(second).create();
      awaitCondition("second restore waits", () -> {
        var st = client.resources(Restore.class).inNamespace(NS).withName("in-place-2").get().getStatus();
        return st != null && st.waitingFor != null && st.waitingFor.contains("in-place");
      });
    } finally {
      kubelet.release();
    }
    assertThat(awaitRestore("in-place").getStatus().phase).isEqualTo(Phase.Succeeded);
    Backup after = await("during-restore", x -> x.getStatus().phase == Phase.Succeeded);
    assertThat(after.getStatus().attempts).isEqualTo(1);
    assertThat(awaitRestore("in-place-2").getStatus().phase).isEqualTo(Phase.Succeeded);
  }

  @Test
  void givenOnlyABucket_whenADisasterRecoveryRestoreNamesTheBackupId_thenItRestoresWithoutAnyBackupResource() throws Exception {
    client.resource(backup("dr-source", "s3")).create();
    String id = await("dr-source", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded).getStatus().backupId;
    Restore r = new Restore();
    r.setMetadata(new ObjectMetaBuilder().withName("dr").withNamespace(NS).build());
    RestoreSpec s = new RestoreSpec();
    s.source = new RestoreSpec.Source();
    s.source.storage = backup("unused", "s3").getSpec().storage;
    s.source.backupId = id;
    s.mode = RestoreSpec.Mode.Replace;
    s.confirm = true;
    s.include = List.of("erp.invoices");
    s.decryption = new RestoreSpec.Decryption();
    s.decryption.identity = new KeyRef("age-key", "identity");
    s.target = new RestoreSpec.Target();
    s.target.mongodb = new RestoreSpec.TargetMongo();
    s.target.mongodb.uriSecret = new KeyRef("mongo", "uri");
    s.target.mongodb.renameDatabases = Map.of("erp", "erp_dr");
    r.setSpec(s);
    client.resource(r).create();
    Restore done = awaitRestore("dr");
    assertThat(done.getStatus().phase).as(done.getStatus().lastError).isEqualTo(Phase.Succeeded);
    assertThat(done.getStatus().backupId).as(client.getKubernetesSerialization().asJson(done.getStatus())).isEqualTo(id);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      assertThat(c.getDatabase("erp_dr").listCollectionNames().into(new ArrayList<>())).containsExactly("invoices");
    }

    // the bucket gone too: a copy of the archive kept on a volume is enough (source.archive)
    Path offline = Files.createDirectories(Files.createTempDirectory("coffer-offline").resolve("2026-11"));
    cluster.claim(NS, "offline-copies", offline.getParent());
    try (var storage = io.coffer.engine.storage.StorageLocations.open("s3://backups/rayerp", EmbeddedServers.endpoint(s3), null,
        Map.of("AWS_ACCESS_KEY_ID", EmbeddedServers.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", EmbeddedServers.SECRET_KEY));
        var in = storage.open(io.coffer.engine.BackupStore.key(id, "archive.zip.age"))) {
      Files.copy(in, offline.resolve("dr-source.zip.age"));
    }
    Restore fromFile = new Restore();
    fromFile.setMetadata(new ObjectMetaBuilder().withName("from-file").withNamespace(NS).build());
    RestoreSpec fs = new RestoreSpec();
    fs.source = new RestoreSpec.Source();
    fs.source.archive = new RestoreSpec.ArchiveFile();
    fs.source.archive.claimName = "offline-copies";
    fs.source.archive.path = "2026-11/dr-source.zip.age";
    fs.decryption = s.decryption;
    fs.include = List.of("erp.*"); // the documents; the uploads tree has no target here
    fs.target = new RestoreSpec.Target();
    fs.target.mongodb = new RestoreSpec.TargetMongo();
    fs.target.mongodb.uriSecret = new KeyRef("mongo", "uri");
    fs.target.mongodb.renameDatabases = Map.of("erp", "erp_from_file");
    fromFile.setSpec(fs);
    client.resource(fromFile).create();
    Restore fileDone = awaitRestore("from-file");
    assertThat(fileDone.getStatus().phase).as(fileDone.getStatus().lastError).isEqualTo(Phase.Succeeded);
    assertThat(fileDone.getStatus().backupId).as("named by the archive itself").isEqualTo(id);
    assertThat(fileDone.getStatus().documents).isEqualTo(2001);
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      assertThat(c.getDatabase("erp_from_file").getCollection("employees").countDocuments()).isEqualTo(2000);
    }
  }

  @Test
  void givenWrongS3Credentials_whenApplied_thenEachAttemptFailsAndTheBackupEndsFailedWithTheEnginesReason() throws Exception {
    client.resource(backup("bad-creds", "s3-wrong")).create();
    Backup b = await("bad-creds", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
    assertThat(b.getStatus().attempts).isEqualTo(2);
    assertThat(b.getStatus().lastError).contains("refused the credentials").doesNotContain("wrong-secret");
    assertThat(b.getStatus().conditions).anySatisfy(c -> {
      assertThat(c.getType()).isEqualTo("Failed");
      assertThat(c.getStatus()).isEqualTo("True");
      assertThat(c.getMessage()).contains("attempt 2 of 2 failed");
    });
    assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems()).extracting(j -> j.getMetadata().getName())
        .contains("bad-creds-backup-1", "bad-creds-backup-2").doesNotContain("bad-creds-backup-3");
  }

  @Test
  void givenAMissingSecret_whenApplied_thenTheBackupFailsWithTheKubeletsReasonAndNeverSpins() throws Exception {
    client.resource(backup("no-secret", "does-not-exist")).create();
    Backup b = await("no-secret", x -> x.getStatus() != null && x.getStatus().phase == Phase.Failed);
    assertThat(b.getStatus().lastError).contains("CreateContainerConfigError").contains("does-not-exist");
    assertThat(b.getStatus().attempts).isEqualTo(2);
  }

  /**
   * A backup forged into the bucket by whoever can write there (checksums rewritten to match): a link out of the
   * target, then a file "under" it. The Restore ends Failed with the engine's reason, and nothing outside the target
   * volume is written. Simulated: the nodes (a local process per pod).
   */
  @Test
  void givenAForgedBackupInTheBucket_whenARestoreNamesIt_thenItFailsWithTheReason_andNothingOutsideTheTargetVolumeChanges() throws Exception {
    Path sandbox = Files.createTempDirectory("coffer-forged");
    Path volume = Files.createDirectories(sandbox.resolve("volume"));
    Files.writeString(volume.resolve("keep.txt"), "the volume's own file");
    Path outside = Files.createDirectories(sandbox.resolve("outside"));
    Files.writeString(outside.resolve("secret.txt"), "must never change");
    cluster.claim(NS, "forged-target", volume);
    Path local = new io.coffer.testing.Forger("forged-1").directory("up", "").symlink("up", "evil", outside.toString())
        .file("up", "evil/pwned.txt", "owned").writeTo(Files.createTempDirectory("coffer-forger"));
    var storage = TestStorage.s3(s3, "backups", "rayerp");
    try (var files = Files.list(local)) {
      for (Path f : files.toList()) {
        var out = storage.create("forged-1/" + f.getFileName());
        out.write(Files.readAllBytes(f));
        out.close();
      }
    }
    Map<String, String> before = io.coffer.testing.World.snapshot(sandbox);
    Restore r = new Restore();
    r.setMetadata(new ObjectMetaBuilder().withName("forged").withNamespace(NS).build());
    RestoreSpec s = new RestoreSpec();
    s.source = new RestoreSpec.Source();
    s.source.storage = backup("unused", "s3").getSpec().storage;
    s.source.backupId = "forged-1";
    s.mode = RestoreSpec.Mode.Merge;
    s.target = new RestoreSpec.Target();
    BackupSpec.FileVolume v = new BackupSpec.FileVolume();
    v.name = "up";
    v.claimName = "forged-target";
    s.target.files = List.of(v);
    r.setSpec(s);
    client.resource(r).create();
    Restore done = awaitRestore("forged");
    assertThat(done.getStatus().phase).isEqualTo(Phase.Failed);
    assertThat(done.getStatus().lastError).contains("under a file or a link").contains("forged-1");
    assertThat(io.coffer.testing.World.snapshot(sandbox)).isEqualTo(before);
  }

  /**
   * Backup pods run where the data is. The application's pod on node-b holds a ReadWriteOnce volume (a second node
   * could not attach it: the node agent refuses with the kubelet's Multi-Attach error): the backup's pod is required
   * onto node-b. A local volume that only node-a has: the scheduler follows its node affinity to node-a.
   * Simulated: the nodes (local processes; "attaching" is the node agent's check).
   */
  @Test
  void givenVolumesBoundToOneNode_whenBackedUp_thenTheEnginesPodRunsOnThatNode() throws Exception {
    Path work = Files.createTempDirectory("coffer-placement");
    Files.writeString(Files.createDirectories(work.resolve("app")).resolve("invoice.pdf"), "scanned");
    cluster.claim(NS, "appdata", work.resolve("app"));
    client.pods().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("rayerp-app").withNamespace(NS)
        .endMetadata().withNewSpec().withNodeName("node-b").withAutomountServiceAccountToken(false)
        .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(1000L).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .endSecurityContext().addNewContainer().withName("app").withImage("rayerp/app:1").withNewSecurityContext().withAllowPrivilegeEscalation(false)
        .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
        .addNewVolumeMount().withName("data").withMountPath("/data").endVolumeMount().endContainer()
        .addNewVolume().withName("data").withNewPersistentVolumeClaim().withClaimName("appdata").endPersistentVolumeClaim().endVolume()
        .endSpec().build()).create();
    client.pods().inNamespace(NS).withName("rayerp-app").waitUntilCondition(p -> p != null && p.getStatus() != null
        && "Running".equals(p.getStatus().getPhase()), 60, java.util.concurrent.TimeUnit.SECONDS);
    Files.writeString(Files.createDirectories(work.resolve("local")).resolve("ledger.csv"), "1,2,3");
    cluster.claim(NS, "local-data", work.resolve("local"), "node-a");
    try {
      for (String[] c : List.of(new String[] {"appdata", "node-b"}, new String[] {"local-data", "node-a"})) {
        Backup b = backup("placed-" + c[0], "s3");
        b.getSpec().type = BackupSpec.Type.Files;
        b.getSpec().source.mongodb = null;
        b.getSpec().source.files.get(0).name = "data";
        b.getSpec().source.files.get(0).claimName = c[0];
        client.resource(b).create();
        Backup done = await("placed-" + c[0], x -> x.getStatus() != null && x.getStatus().phase != null && x.getStatus().phase.terminal());
        assertThat(done.getStatus().phase).as(done.getStatus().lastError).isEqualTo(Phase.Succeeded);
        assertThat(done.getStatus().contents.files).isEqualTo(1);
        var pods = client.pods().inNamespace(NS).withLabel("job-name", done.getStatus().jobName).list().getItems();
        assertThat(pods).extracting(p -> p.getSpec().getNodeName()).as(c[0]).containsOnly(c[1]);
      }
    } finally {
      client.pods().inNamespace(NS).withName("rayerp-app").delete();
    }
  }
}
