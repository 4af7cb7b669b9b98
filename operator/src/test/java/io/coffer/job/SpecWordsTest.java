package io.coffer.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.protocol.Field;
import io.coffer.protocol.Purpose;
import io.coffer.testing.Specs;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engine's words (request fields as marks, in-pod paths) turned into the resource's (spec
 * fields), as a status shows them. The messages are the engine's own, built with the marks it
 * writes (nothing simulated).
 */
class SpecWordsTest {
  static Backup backup() {
    return Specs.backup("rayerp", "nightly")
        .mongo("mongo", "uri", "erp")
        .files("uploads", "rayerp-uploads", "documents")
        .files("scans", "rayerp-scans")
        .s3("http://minio:9000", "backups", "rayerp", "s3")
        .recipients("age", "recipients")
        .build();
  }

  @Test
  void givenAnUnreadableTree_thenTheEntryAndTheFieldMostLikelyWrongAreNamed() {
    assertThat(
            SpecWords.backup(
                "file tree uploads: /data/files/uploads is not a readable directory; check "
                    + Field.FILES.mark(0),
                backup(),
                Purpose.BACKUP))
        .isEqualTo(
            "file tree uploads: spec.source.files[0] (claim rayerp-uploads, subPath documents) is not a readable directory; "
                + "check spec.source.files[0].subPath");
    assertThat(
            SpecWords.backup(
                "file tree scans: /data/files/scans/2026 cannot be read (EACCES); check "
                    + Field.FILES.mark(1),
                backup(),
                Purpose.BACKUP))
        .isEqualTo(
            "file tree scans: spec.source.files[1] (claim rayerp-scans)/2026 cannot be read (EACCES); "
                + "check spec.source.files[1].claimName");
    // a mark without an index names the list
    assertThat(SpecWords.backup("check " + Field.FILES.mark(), backup(), Purpose.BACKUP))
        .isEqualTo("check spec.source.files");
  }

  @Test
  void givenStorageAndKeyFields_thenTheirSpecFields() {
    assertThat(
            SpecWords.backup(
                "cannot reach S3 at http://minio:9000; check "
                    + Field.S3_ENDPOINT.mark()
                    + " and the network",
                backup(),
                Purpose.BACKUP))
        .isEqualTo(
            "cannot reach S3 at http://minio:9000; check spec.storage.s3.endpoint and the network");
    assertThat(
            SpecWords.backup(
                "a full backup needs MongoDB: give "
                    + Field.MONGODB_URI.mark()
                    + " (or use "
                    + Field.TYPE.mark()
                    + " files)",
                backup(),
                Purpose.BACKUP))
        .isEqualTo(
            "a full backup needs MongoDB: give spec.source.mongodb.uriSecret (or use spec.type files)");
    assertThat(
            SpecWords.backup(
                Field.RECIPIENTS.mark()
                    + " /etc/coffer/recipients/value, not an age recipient on line 2",
                backup(),
                Purpose.BACKUP))
        .isEqualTo(
            "spec.encryption.recipients (Secret age, key recipients), not an age recipient on line 2");
    assertThat(
            SpecWords.backup(
                Field.FILES_INCLUDE.mark() + " '[' is not a valid glob", backup(), Purpose.BACKUP))
        .isEqualTo("spec.source.filesInclude '[' is not a valid glob");
    assertThat(
            SpecWords.backup(
                "S3 refused the credentials; check " + Field.S3_CREDENTIALS.mark(),
                backup(),
                Purpose.VERIFY))
        .isEqualTo("S3 refused the credentials; check spec.storage.s3.credentialsSecret");
    assertThat(SpecWords.backup("give " + Field.IDENTITY.mark(), backup(), Purpose.VERIFY))
        .isEqualTo("give spec.verification.identity");
  }

  @Test
  void givenAVolumeStorage_thenItsClaimIsNamed() {
    Backup b = Specs.backup("rayerp", "files").files("docs", "docs").volume("backup-store").build();
    assertThat(
            SpecWords.backup(
                "the storage directory /data/storage does not exist; check " + Field.STORAGE.mark(),
                b,
                Purpose.DELETE))
        .isEqualTo(
            "the storage directory spec.storage.volume (claim backup-store) does not exist; check spec.storage");
  }

  @Test
  void givenARestore_thenItsOwnFields_andTheBackupsWhereTheRestoreHasNone() {
    Backup b =
        Specs.backup("rayerp", "nightly")
            .files("uploads", "rayerp-uploads")
            .s3("http://minio:9000", "backups", "rayerp", "s3")
            .status(Phase.Succeeded, s -> {})
            .build();
    Restore r =
        Specs.restore("rayerp", "rollback")
            .backupName("nightly")
            .targetFiles("scans", "restored-scans")
            .build();
    assertThat(
            SpecWords.restore(
                "backup nightly-1 holds trees uploads, scans: give "
                    + Field.FILES.mark()
                    + " scans=DIR to restore it, or "
                    + Field.TREES.mark()
                    + " to pick trees",
                r,
                b))
        .isEqualTo(
            "backup nightly-1 holds trees uploads, scans: give spec.target.files scans=DIR to restore it, or spec.trees to pick trees");
    assertThat(
            SpecWords.restore(
                "/data/files/uploads has 1.0 GiB free; nothing was written: make room or restore elsewhere with "
                    + Field.FILES.mark(),
                r,
                b))
        .isEqualTo(
            "the volume of tree uploads (claim rayerp-uploads, from the Backup; spec.target.files can name another) has 1.0 GiB free; "
                + "nothing was written: make room or restore elsewhere with spec.target.files");
    assertThat(
            SpecWords.restore(
                "restoring collections needs a target: give " + Field.MONGODB_URI.mark(), r, b))
        .isEqualTo("restoring collections needs a target: give spec.target.mongodb.uriSecret");
    assertThat(
            SpecWords.restore(
                "cannot reach S3; check " + Field.S3_ENDPOINT.mark() + " and the network", r, b))
        .isEqualTo(
            "cannot reach S3; check Backup nightly spec.storage.s3.endpoint and the network");
    assertThat(SpecWords.restore("give " + Field.BACKUP_ID.mark(), r, b))
        .isEqualTo("give spec.backupName");
    // the request's file trees: the Backup's volume first (index 0), then the Restore's own target
    // (its spec.target.files[0])
    assertThat(SpecWords.restore("check " + Field.FILES.mark(1), r, b))
        .isEqualTo("check spec.target.files[0]");
  }

  @Test
  void givenTextWithoutTheEnginesWords_thenItPassesUnchanged() {
    assertThat(
            SpecWords.backup(
                "the pod cannot start: CreateContainerConfigError: secret \"age\" not found",
                backup(),
                Purpose.BACKUP))
        .isEqualTo("the pod cannot start: CreateContainerConfigError: secret \"age\" not found");
    assertThat(SpecWords.backup("a \u27e6mark\u27e7 of no field stays", backup(), Purpose.BACKUP))
        .isEqualTo("a \u27e6mark\u27e7 of no field stays");
    assertThat(SpecWords.backup(null, backup(), Purpose.BACKUP)).isNull();
  }

  @Test
  void givenEveryField_thenEveryKindHasWordsForIt_andNoMarkIsLeft() {
    Backup b = backup();
    Restore r = Specs.restore("rayerp", "rollback").backupName("nightly").build();
    Restore up = Specs.restore("rayerp", "uploaded").build();
    up.getSpec().backupName = null;
    up.getSpec().source = new RestoreSpec.Source();
    up.getSpec().source.storage = b.getSpec().storage;
    up.getSpec().source.upload = new RestoreSpec.Upload();
    up.getSpec().source.upload.fileName = "rayerp.zip.age";
    BackupSchedule s = new BackupSchedule();
    s.setMetadata(new ObjectMetaBuilder().withName("nightly").withNamespace("rayerp").build());
    s.setSpec(new BackupScheduleSpec());
    s.getSpec().template = b.getSpec();
    BackupSpec.CopySpec copy = new BackupSpec.CopySpec();
    copy.name = "offsite";
    copy.storage.volume = new BackupSpec.VolumeStorage();
    copy.storage.volume.claimName = "offsite-disk";
    b.getSpec().copies = List.of(copy);
    s.getSpec().drill = new BackupScheduleSpec.DrillSpec();
    s.getSpec().drill.uriSecret = new KeyRef("scratch", "uri");
    for (Field f : Field.values()) {
      for (Purpose p : Purpose.values()) {
        String words =
            switch (p) {
              case RESTORE -> SpecWords.restore("x " + f.mark() + " y", r, b);
              case UPLOAD -> SpecWords.upload("x " + f.mark() + " y", up);
              case OPLOG_ARCHIVE -> SpecWords.schedule("x " + f.mark() + " y", s);
              case COPY -> SpecWords.copy("x " + f.mark() + " y", b, 0);
              case DRILL -> SpecWords.drill("x " + f.mark() + " y", s);
              default -> SpecWords.backup("x " + f.mark() + " y", b, p);
            };
        assertThat(words)
            .as(f + " for " + p)
            .doesNotContain(String.valueOf(Field.OPEN))
            .startsWith("x ")
            .endsWith(" y")
            .hasSizeGreaterThan(4);
      }
    }
  }
}
