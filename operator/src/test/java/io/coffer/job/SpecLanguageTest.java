package io.coffer.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.Backup;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.testing.Specs;
import org.junit.jupiter.api.Test;

/** The engine's words (options, in-pod paths) turned into the resource's (spec fields), as a status shows them. */
class SpecLanguageTest {
  static Backup backup() {
    return Specs.backup("rayerp", "nightly").mongo("mongo", "uri", "erp").files("uploads", "rayerp-uploads", "documents")
        .files("scans", "rayerp-scans").s3("http://minio:9000", "backups", "rayerp", "s3").recipients("age", "recipients").build();
  }

  @Test
  void givenAnUnreadableTree_thenTheEntryAndTheFieldMostLikelyWrongAreNamed() {
    assertThat(SpecLanguage.backup("file tree uploads: /data/files/uploads is not a readable directory; check --files", backup()))
        .isEqualTo("file tree uploads: spec.source.files[0] (claim rayerp-uploads, subPath documents) is not a readable directory; "
            + "check spec.source.files[0].subPath");
    assertThat(SpecLanguage.backup("file tree scans: /data/files/scans/2026 cannot be read (EACCES); check --files", backup()))
        .isEqualTo("file tree scans: spec.source.files[1] (claim rayerp-scans)/2026 cannot be read (EACCES); check spec.source.files[1].claimName");
  }

  @Test
  void givenStorageAndKeyOptions_thenTheirSpecFields() {
    assertThat(SpecLanguage.backup("cannot reach S3 at http://minio:9000; check --s3-endpoint / COFFER_S3_ENDPOINT and the network", backup()))
        .isEqualTo("cannot reach S3 at http://minio:9000; check spec.storage.s3.endpoint and the network");
    assertThat(SpecLanguage.backup("a full backup needs MongoDB: give --mongodb-uri or set COFFER_MONGODB_URI (or use --type files)", backup()))
        .isEqualTo("a full backup needs MongoDB: give spec.source.mongodb.uriSecret (or use spec.type files)");
    assertThat(SpecLanguage.backup("cannot read /etc/coffer/recipients/value: not an age recipient on line 2", backup()))
        .isEqualTo("cannot read spec.encryption.recipients: not an age recipient on line 2");
    assertThat(SpecLanguage.backup("--files-include '[' is not a valid glob", backup())).isEqualTo("spec.source.filesInclude '[' is not a valid glob");
  }

  @Test
  void givenAVolumeStorage_thenItsClaimIsNamed() {
    Backup b = Specs.backup("rayerp", "files").files("docs", "docs").volume("backup-store").build();
    assertThat(SpecLanguage.delete("the storage directory /data/storage does not exist; check --storage", b))
        .isEqualTo("the storage directory spec.storage.volume (claim backup-store) does not exist; check spec.storage");
  }

  @Test
  void givenARestore_thenItsOwnFields_andTheBackupsWhereTheRestoreHasNone() {
    Backup b = Specs.backup("rayerp", "nightly").files("uploads", "rayerp-uploads").s3("http://minio:9000", "backups", "rayerp", "s3")
        .status(Phase.Succeeded, s -> { }).build();
    Restore r = Specs.restore("rayerp", "rollback").backupName("nightly").targetFiles("scans", "restored-scans").build();
    assertThat(SpecLanguage.restore("backup nightly-1 holds trees uploads, scans: give --files-target scans=DIR to restore it, or --tree to pick trees", r, b))
        .isEqualTo("backup nightly-1 holds trees uploads, scans: give spec.target.files (an entry named scans) to restore it, or spec.trees to pick trees");
    assertThat(SpecLanguage.restore("/data/files/uploads has 1.0 GiB free; nothing was written: make room or restore elsewhere with --files-target", r, b))
        .isEqualTo("the volume of tree uploads (claim rayerp-uploads, from the Backup; spec.target.files can name another) has 1.0 GiB free; "
            + "nothing was written: make room or restore elsewhere with spec.target.files");
    assertThat(SpecLanguage.restore("restoring collections needs a target: give --mongodb-uri or set COFFER_MONGODB_URI", r, b))
        .isEqualTo("restoring collections needs a target: give spec.target.mongodb.uriSecret");
    assertThat(SpecLanguage.restore("cannot reach S3; check --s3-endpoint / COFFER_S3_ENDPOINT and the network", r, b))
        .isEqualTo("cannot reach S3; check Backup nightly spec.storage.s3.endpoint and the network");
  }

  @Test
  void givenTextWithoutTheEnginesWords_thenItPassesUnchanged() {
    assertThat(SpecLanguage.backup("the pod cannot start: CreateContainerConfigError: secret \"age\" not found", backup()))
        .isEqualTo("the pod cannot start: CreateContainerConfigError: secret \"age\" not found");
    assertThat(SpecLanguage.backup(null, backup())).isNull();
  }
}
