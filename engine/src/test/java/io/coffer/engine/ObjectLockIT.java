package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Progress;
import io.coffer.protocol.BackupResult;
import io.coffer.protocol.CopyRequest;
import io.coffer.protocol.DeleteRequest;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Request;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.Versitygw;
import io.minio.GetObjectRetentionArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import io.minio.messages.Retention;
import io.minio.messages.RetentionMode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Object Lock on a real S3 server: versitygw v1.8.0 (built from source by the testkit), its POSIX
 * backend in a temporary folder, no versioning folder (so a locked object cannot be deleted or
 * overwritten at all; with versioning, as on AWS, a delete adds a marker and the locked version
 * stays). The MongoDB source is mongo-java-server. Real: S3's Object Lock API (bucket
 * configuration, per-object retention, the server's refusals), through minio-java.
 */
class ObjectLockIT {
  static Versitygw s3;
  static MinioClient admin;
  static MongoServer mongo;

  @BeforeAll
  static void start() throws Exception {
    s3 = Versitygw.start();
    admin =
        MinioClient.builder()
            .endpoint(s3.endpoint())
            .credentials(Versitygw.ACCESS_KEY, Versitygw.SECRET_KEY)
            .region("us-east-1")
            .build();
    admin.makeBucket(MakeBucketArgs.builder().bucket("locked").objectLock(true).build());
    admin.makeBucket(MakeBucketArgs.builder().bucket("plain").build());
    mongo = EmbeddedServers.mongo();
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(mongo))) {
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 100; i++) docs.add(new Document("_id", i).append("total", i));
      c.getDatabase("erp").getCollection("invoices").insertMany(docs);
    }
  }

  @AfterAll
  static void stop() {
    if (mongo != null) mongo.shutdownNow();
    if (s3 != null) s3.close();
  }

  static Engine.Context context() {
    return new Engine.Context(
        new EngineLog(null),
        new Progress(),
        new Secrets(
            Map.of(
                "AWS_ACCESS_KEY_ID", Versitygw.ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY", Versitygw.SECRET_KEY,
                "AWS_REGION", "us-east-1")),
        EmbeddedServers.uri(mongo),
        Confirmation.GIVEN,
        InputStream.nullInputStream());
  }

  static Request.StorageRef storage(String uri, Request.ObjectLock lock) {
    return new Request.StorageRef(
        uri, new Request.S3(s3.endpoint(), "us-east-1", null, null, null), null, lock);
  }

  static BackupResult backup(String id, Request.StorageRef storage) throws Exception {
    return Engine.backup(
        TestRequests.backup(id, "database", storage, List.of("erp"), List.of()), context());
  }

  static List<String> keys(String bucket, String prefix) throws Exception {
    List<String> keys = new ArrayList<>();
    for (Result<Item> r :
        admin.listObjects(
            ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build()))
      keys.add(r.get().objectName());
    return keys;
  }

  @Test
  void givenObjectLock_thenEveryObjectIsRetained_andNeitherCofferNorTheS3ApiCanDeleteOrOverwrite()
      throws Exception {
    Instant before = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    BackupResult r =
        backup("locked-1", storage("s3://locked/erp", new Request.ObjectLock("compliance", 2)));
    assertThat(r.objectLock()).isEqualTo("COMPLIANCE");
    Instant until = Instant.parse(r.lockedUntil());
    assertThat(until)
        .isBetween(before.plus(Duration.ofDays(2)), Instant.now().plus(Duration.ofDays(2)));
    List<String> objects = keys("locked", "erp/locked-1/");
    assertThat(objects).contains("erp/locked-1/archive.zip", "erp/locked-1/backup.json");
    for (String key : objects) {
      Retention kept =
          admin.getObjectRetention(
              GetObjectRetentionArgs.builder().bucket("locked").object(key).build());
      assertThat(kept.mode()).as(key).isEqualTo(RetentionMode.COMPLIANCE);
      assertThat(kept.retainUntilDate().toInstant())
          .as(key)
          .isAfterOrEqualTo(until.minusSeconds(1));
    }
    // through the S3 API directly, with the root's own credentials: refused
    assertThatThrownBy(
            () ->
                admin.removeObject(
                    RemoveObjectArgs.builder()
                        .bucket("locked")
                        .object("erp/locked-1/archive.zip")
                        .build()))
        .isInstanceOf(ErrorResponseException.class);
    byte[] forged = "forged".getBytes();
    assertThatThrownBy(
            () ->
                admin.putObject(
                    PutObjectArgs.builder()
                        .bucket("locked")
                        .object("erp/locked-1/archive.zip")
                        .stream(new ByteArrayInputStream(forged), forged.length, -1)
                        .build()))
        .isInstanceOf(ErrorResponseException.class);
    // through Coffer: refused with the date, before anything is deleted
    assertThatThrownBy(
            () ->
                Engine.delete(
                    new DeleteRequest(
                        "locked-1", storage("s3://locked/erp", null), null, Request.Report.NONE),
                    context()))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE))
        .hasMessageContaining("is under Object Lock until " + until);
    assertThat(keys("locked", "erp/locked-1/")).containsExactlyInAnyOrderElementsOf(objects);
    // the backup restores and verifies as any other: the lock only keeps it
    assertThat(Engine.list(storage("s3://locked/erp", null), context().secrets()).backups())
        .anySatisfy(b -> assertThat(b.id()).isEqualTo("locked-1"));
  }

  /**
   * Least privilege, as the docs set it up: the backup Jobs' user may put, read and lock objects
   * but not delete them (a bucket policy), so it backs up, and neither Coffer nor the S3 API with
   * its credentials can delete an earlier backup; the pruning credentials (here the root's) can.
   */
  @Test
  void givenPutOnlyCredentials_thenABackupWorks_butNoEarlierBackupCanBeDeletedWithThem()
      throws Exception {
    admin.makeBucket(MakeBucketArgs.builder().bucket("leastpriv").objectLock(true).build());
    s3.createUser("backup-writer", "backup-writer-Secr3t");
    admin.setBucketPolicy(
        io.minio.SetBucketPolicyArgs.builder()
            .bucket("leastpriv")
            .config(
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    + "\"Principal\":{\"AWS\":[\"backup-writer\"]},\"Action\":[\"s3:PutObject\","
                    + "\"s3:GetObject\",\"s3:ListBucket\",\"s3:PutObjectRetention\","
                    + "\"s3:GetObjectRetention\",\"s3:GetBucketObjectLockConfiguration\","
                    + "\"s3:ListBucketMultipartUploads\",\"s3:AbortMultipartUpload\"],"
                    + "\"Resource\":[\"arn:aws:s3:::leastpriv\",\"arn:aws:s3:::leastpriv/*\"]}]}")
            .build());
    backup("earlier-1", storage("s3://leastpriv/erp", null)); // by the root
    Engine.Context writer =
        new Engine.Context(
            new EngineLog(null),
            new Progress(),
            new Secrets(
                Map.of(
                    "AWS_ACCESS_KEY_ID", "backup-writer",
                    "AWS_SECRET_ACCESS_KEY", "backup-writer-Secr3t",
                    "AWS_REGION", "us-east-1")),
            EmbeddedServers.uri(mongo),
            Confirmation.GIVEN,
            InputStream.nullInputStream());
    BackupResult r =
        Engine.backup(
            TestRequests.backup(
                "writer-1",
                "database",
                storage("s3://leastpriv/erp", new Request.ObjectLock("GOVERNANCE", 1)),
                List.of("erp"),
                List.of()),
            writer);
    assertThat(r.lockedUntil()).isNotNull();
    assertThatThrownBy(
            () ->
                Engine.delete(
                    new DeleteRequest(
                        "earlier-1",
                        storage("s3://leastpriv/erp", null),
                        "uid-of-earlier",
                        Request.Report.NONE),
                    writer))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.STORAGE))
        .hasMessageNotContaining("backup-writer-Secr3t");
    MinioClient writerS3 =
        MinioClient.builder()
            .endpoint(s3.endpoint())
            .credentials("backup-writer", "backup-writer-Secr3t")
            .region("us-east-1")
            .build();
    assertThatThrownBy(
            () ->
                writerS3.removeObject(
                    RemoveObjectArgs.builder()
                        .bucket("leastpriv")
                        .object("erp/earlier-1/archive.zip")
                        .build()))
        .isInstanceOf(ErrorResponseException.class);
    assertThat(keys("leastpriv", "erp/earlier-1/")).contains("erp/earlier-1/backup.json");
    // the pruning credentials delete it, under the Backup's uid as lock token as the operator's
    // deletion Jobs do: the lock the refused attempt could not remove is taken over
    Engine.delete(
        new DeleteRequest(
            "earlier-1",
            storage("s3://leastpriv/erp", null),
            "uid-of-earlier",
            Request.Report.NONE),
        context());
    assertThat(keys("leastpriv", "erp/earlier-1/")).isEmpty();
  }

  /**
   * One writer per backup id: the lock object and the descriptor are written with If-None-Match: *,
   * which this server honours (S3Proxy ignores it, so there the read-back decides): of two writers
   * of one name, the second is told it lost, and the first's content stays.
   */
  @Test
  void givenTwoWritersOfOneName_thenTheConditionalWriteLetsOnlyTheFirstWin() throws Exception {
    try (var s =
        new io.coffer.engine.storage.S3Storage(
            s3.endpoint(),
            "us-east-1",
            Versitygw.ACCESS_KEY,
            Versitygw.SECRET_KEY,
            "plain",
            "cond")) {
      assertThat(s.createIfAbsent("x/backup.json", "first".getBytes())).isTrue();
      assertThat(s.createIfAbsent("x/backup.json", "second".getBytes())).isFalse();
      try (var in = s.open("x/backup.json")) {
        assertThat(new String(in.readAllBytes())).isEqualTo("first");
      }
    }
  }

  @Test
  void givenABucketWithoutObjectLock_whenALockIsAskedFor_thenRefusedBeforeAnythingIsWritten()
      throws Exception {
    assertThatThrownBy(
            () ->
                backup(
                    "unlockable-1",
                    storage("s3://plain/erp", new Request.ObjectLock("GOVERNANCE", 7))))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.STORAGE))
        .hasMessageContaining("bucket plain")
        .hasMessageContaining("has no Object Lock");
    assertThat(keys("plain", "erp/")).isEmpty();
    assertThatThrownBy(
            () ->
                backup("bad-mode", storage("s3://locked/erp", new Request.ObjectLock("legal", 7))))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("give GOVERNANCE or COMPLIANCE");
  }

  @Test
  void givenACopyToALockedBucket_thenTheCopyIsLockedToo() throws Exception {
    backup("to-copy-1", storage("s3://plain/source", null));
    Engine.copy(
        new CopyRequest(
            "to-copy-1",
            storage("s3://plain/source", null),
            storage("s3://locked/offsite", new Request.ObjectLock("GOVERNANCE", 1)),
            null,
            Request.Report.NONE),
        context());
    for (String key : keys("locked", "offsite/to-copy-1/")) {
      Retention kept =
          admin.getObjectRetention(
              GetObjectRetentionArgs.builder().bucket("locked").object(key).build());
      assertThat(kept.mode()).as(key).isEqualTo(RetentionMode.GOVERNANCE);
    }
  }
}
