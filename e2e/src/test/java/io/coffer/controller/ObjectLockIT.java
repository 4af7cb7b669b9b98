package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.Phase;
import io.coffer.controller.backup.CleanupDecider;
import io.coffer.testing.Versitygw;
import io.minio.GetObjectRetentionArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import io.minio.messages.RetentionMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Immutable backups through the resources: a Backup whose storage asks for Object Lock, stored on a
 * real S3 server with Object Lock (versitygw, built from source by the testkit, no versioning
 * folder), on the shared real control plane of {@link OperatorHarness} (which says what is
 * simulated: the nodes). The lock is checked on the server itself; deleting the Backup waits for it
 * (DeleteBlocked, no deletion Job, no retry loop) until the Retain annotation lets it go.
 */
class ObjectLockIT {
  static Versitygw vgw;
  static MinioClient admin;

  @BeforeAll
  static void start() throws Exception {
    OperatorHarness.start();
    vgw = Versitygw.start();
    admin =
        MinioClient.builder()
            .endpoint(vgw.endpoint())
            .credentials(Versitygw.ACCESS_KEY, Versitygw.SECRET_KEY)
            .region("us-east-1")
            .build();
    admin.makeBucket(MakeBucketArgs.builder().bucket("worm").objectLock(true).build());
    secret(
        "vgw",
        Map.of(
            "AWS_ACCESS_KEY_ID",
            Versitygw.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY",
            Versitygw.SECRET_KEY));
  }

  @AfterAll
  static void stop() {
    if (vgw != null) vgw.close();
  }

  @Test
  void givenObjectLock_thenEveryObjectIsLockedOnTheServer_andDeletingTheBackupWaitsForTheLock()
      throws Exception {
    Backup b = backup("worm", "vgw");
    b.getSpec().storage.s3.endpoint = vgw.endpoint();
    b.getSpec().storage.s3.bucket = "worm";
    b.getSpec().storage.s3.region = "us-east-1";
    b.getSpec().storage.s3.objectLock = new BackupSpec.ObjectLockSpec();
    b.getSpec().storage.s3.objectLock.mode = BackupSpec.ObjectLockSpec.Mode.Compliance;
    b.getSpec().storage.s3.objectLock.days = 1;
    client.resource(b).create();
    Backup done =
        await(
            "worm",
            x ->
                x.getStatus() != null
                    && x.getStatus().phase != null
                    && x.getStatus().phase.terminal());
    assertThat(done.getStatus().phase).as(done.getStatus().lastError).isEqualTo(Phase.Succeeded);
    assertThat(done.getStatus().objectLock).isEqualTo("COMPLIANCE");
    Instant until = Instant.parse(done.getStatus().lockedUntil);
    assertThat(until).isAfter(Instant.now().plus(Duration.ofHours(23)));
    String id = done.getStatus().backupId;
    List<String> keys = new ArrayList<>();
    for (Result<Item> r :
        admin.listObjects(
            ListObjectsArgs.builder()
                .bucket("worm")
                .prefix("rayerp/" + id + "/")
                .recursive(true)
                .build())) keys.add(r.get().objectName());
    assertThat(keys).contains("rayerp/" + id + "/backup.json");
    for (String key : keys) {
      if (key.endsWith(".coffer-lock")) continue;
      assertThat(
              admin
                  .getObjectRetention(
                      GetObjectRetentionArgs.builder().bucket("worm").object(key).build())
                  .mode())
          .as(key)
          .isEqualTo(RetentionMode.COMPLIANCE);
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                admin.removeObject(
                    RemoveObjectArgs.builder()
                        .bucket("worm")
                        .object("rayerp/" + id + "/archive.zip.age")
                        .build()))
        .isInstanceOf(ErrorResponseException.class);

    client.resource(done).delete();
    Backup blocked =
        await(
            "worm",
            x ->
                x.getStatus().lastError != null && x.getStatus().lastError.contains("Object Lock"));
    assertThat(blocked.getStatus().lastError).contains("until " + done.getStatus().lockedUntil);
    assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems())
        .as("no deletion Job while the lock holds")
        .noneMatch(j -> j.getMetadata().getName().startsWith("worm-delete"));
    assertThat(client.v1().events().inNamespace(NS).list().getItems())
        .filteredOn(e -> e.getInvolvedObject().getName().equals("worm"))
        .extracting(e -> e.getReason())
        .contains("DeleteBlocked");
    // Retain lets the Backup go and leaves the locked objects to expire
    annotateRetain();
    awaitCondition(
        "the Backup is gone",
        () -> client.resources(Backup.class).inNamespace(NS).withName("worm").get() == null);
    assertThat(
            admin
                .listObjects(
                    ListObjectsArgs.builder()
                        .bucket("worm")
                        .prefix("rayerp/" + id + "/backup.json")
                        .build())
                .iterator()
                .hasNext())
        .isTrue();
  }

  private static void annotateRetain() {
    patch(
        Backup.class,
        "worm",
        "{\"metadata\":{\"annotations\":{\"" + CleanupDecider.ANNOTATION + "\":\"Retain\"}}}");
  }
}
