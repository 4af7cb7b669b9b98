package io.coffer.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The console's forms as plain values: what a filled-in form becomes, and the one-line refusals of
 * one that makes no sense.
 */
class FormsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode form(String json) throws Exception {
    return JSON.readTree(json.replace('\'', '"'));
  }

  /**
   * A schedule's template as RayERP's would be: MongoDB with a module map and an include pattern,
   * uploads, S3, age.
   */
  static BackupSpec template() {
    BackupSpec t = new BackupSpec();
    t.type = BackupSpec.Type.Full;
    t.source.mongodb = new BackupSpec.MongoSource();
    t.source.mongodb.uriSecret = new KeyRef("mongo", "uri");
    t.source.mongodb.include = List.of("erp");
    t.source.mongodb.moduleMap = new KeyRef("modules", "modules.yaml");
    t.source.mongodb.modules = List.of("hr", "finance");
    var f = new BackupSpec.FileVolume();
    f.name = "uploads";
    f.claimName = "uploads";
    t.source.files = List.of(f);
    t.storage.s3 = new BackupSpec.S3();
    t.storage.s3.bucket = "backups";
    t.storage.s3.credentialsSecret = "s3";
    t.encryption = new BackupSpec.EncryptionSpec();
    t.encryption.recipients = new KeyRef("age", "recipients");
    return t;
  }

  @Test
  void givenTickedModules_thenTheyAreTheSelection_andTheTemplateIsUntouched() throws Exception {
    BackupSpec t = template();
    Backup b =
        Forms.backup(
            "rayerp", form("{'type':'Database','modules':['hr'],'encrypt':true}"), "nightly", t);
    assertThat(b.getMetadata().getGenerateName()).isEqualTo("nightly-manual-");
    assertThat(b.getMetadata().getNamespace()).isEqualTo("rayerp");
    assertThat(b.getMetadata().getAnnotations())
        .containsEntry("coffer.io/created-with", "coffer console");
    assertThat(b.getSpec().type).isEqualTo(BackupSpec.Type.Database);
    assertThat(b.getSpec().source.mongodb.modules).containsExactly("hr");
    assertThat(b.getSpec().source.mongodb.include)
        .as("include would add every collection of erp")
        .isEmpty();
    assertThat(b.getSpec().source.files).as("a Database backup takes no volumes").isEmpty();
    assertThat(b.getSpec().encryption.recipients.name).isEqualTo("age");
    assertThat(t.source.mongodb.include).containsExactly("erp");
    assertThat(t.source.files).hasSize(1);
  }

  @Test
  void givenNoModuleTicked_thenTheTemplatesSelectionStays_andEncryptionCanBeTurnedOff()
      throws Exception {
    Backup b =
        Forms.backup(
            "rayerp",
            form("{'type':'Full','modules':[],'encrypt':false,'name':'before-upgrade'}"),
            "nightly",
            template());
    assertThat(b.getMetadata().getName()).isEqualTo("before-upgrade");
    assertThat(b.getSpec().source.mongodb.modules).containsExactly("hr", "finance");
    assertThat(b.getSpec().source.mongodb.include).containsExactly("erp");
    assertThat(b.getSpec().encryption).isNull();
  }

  @Test
  void givenAFormTheTemplateCannotServe_thenItSaysWhatToChange() {
    BackupSpec noFiles = template();
    noFiles.source.files = List.of();
    assertThatThrownBy(() -> Forms.backup("rayerp", form("{'type':'Files'}"), "x", noFiles))
        .isInstanceOf(Forms.Invalid.class)
        .hasMessage(
            "type Files backs up volumes, but the template has none: choose type Database or another template");
    BackupSpec plain = template();
    plain.encryption = null;
    assertThatThrownBy(() -> Forms.backup("rayerp", form("{'encrypt':true}"), "x", plain))
        .hasMessageContaining("has no encryption keys");
    assertThatThrownBy(
            () -> Forms.backup("rayerp", form("{'type':'Incremental'}"), "x", template()))
        .hasMessageContaining("chain.indexKeySecret");
    assertThatThrownBy(() -> Forms.backup("rayerp", form("{'type':'Weekly'}"), "x", template()))
        .hasMessage("type 'Weekly' is not one of Database, Files, Full, Incremental");
    assertThatThrownBy(() -> Forms.backup("rayerp", form("{'modules':['HR!']}"), "x", template()))
        .hasMessageContaining("'HR!' is not a module name");
    assertThatThrownBy(() -> Forms.backup("rayerp", form("{'name':'Bad_Name'}"), "x", template()))
        .hasMessageContaining("name 'Bad_Name'");
  }

  @Test
  void givenAWeeklySchedule_thenFrequencyZoneAndRetention() throws Exception {
    BackupSchedule s =
        Forms.schedule(
            "rayerp",
            form(
                "{'name':'weekly-db','every':'Weekly','time':'03:30','dayOfWeek':'Sunday',"
                    + "'timeZone':'Europe/Berlin','keepLast':'4','maxAge':'30d','verifyAfterEachBackup':true,'type':'Database'}"),
            template(),
            null);
    assertThat(s.getMetadata().getName()).isEqualTo("weekly-db");
    assertThat(s.getSpec().schedule).isNull();
    assertThat(s.getSpec().frequency.every).isEqualTo(BackupScheduleSpec.Frequency.Every.Weekly);
    assertThat(s.getSpec().frequency.dayOfWeek).isEqualTo(BackupScheduleSpec.Frequency.Day.Sunday);
    assertThat(s.getSpec().frequency.time).isEqualTo("03:30");
    assertThat(s.getSpec().timeZone).isEqualTo("Europe/Berlin");
    assertThat(s.getSpec().retention.keepLast).isEqualTo(4);
    assertThat(s.getSpec().retention.maxAge).isEqualTo("30d");
    assertThat(s.getSpec().verifyAfterEachBackup).isTrue();
    assertThat(s.getSpec().template.type).isEqualTo(BackupSpec.Type.Database);
  }

  @Test
  void givenAnEditFromCronToMonthly_thenTheCronGoes_andNameAndStorageStay() throws Exception {
    BackupSchedule existing = new BackupSchedule();
    existing.getMetadata().setName("nightly");
    existing.setSpec(new BackupScheduleSpec());
    existing.getSpec().schedule = "0 2 * * *";
    existing.getSpec().template = template();
    existing.getSpec().suspend = true;
    BackupSchedule s =
        Forms.schedule(
            "rayerp",
            form("{'name':'ignored','every':'Monthly','time':'01:00','dayOfMonth':'15'}"),
            existing.getSpec().template,
            existing);
    assertThat(s.getMetadata().getName()).isEqualTo("nightly");
    assertThat(s.getSpec().schedule).isNull();
    assertThat(s.getSpec().frequency.dayOfMonth).isEqualTo(15);
    assertThat(s.getSpec().suspend).as("an edit does not resume").isTrue();
    assertThat(s.getSpec().template.storage.s3.bucket).isEqualTo("backups");
    assertThat(existing.getSpec().schedule).isEqualTo("0 2 * * *");
  }

  @Test
  void givenABadSchedule_thenOneLineSaysWhy() {
    assertThatThrownBy(
            () ->
                Forms.schedule(
                    "rayerp",
                    form("{'name':'a','every':'Daily','time':'25:00'}"),
                    template(),
                    null))
        .hasMessage("time '25:00' is not a time of day HH:MM, e.g. 02:00");
    assertThatThrownBy(
            () ->
                Forms.schedule(
                    "rayerp",
                    form("{'name':'a','every':'Cron','cron':'0 2 * *'}"),
                    template(),
                    null))
        .hasMessageContaining("is not a 5-field cron expression");
    assertThatThrownBy(
            () ->
                Forms.schedule(
                    "rayerp", form("{'name':'a','timeZone':'Mars/Olympus'}"), template(), null))
        .hasMessageContaining("'Mars/Olympus' is not an IANA time zone");
    assertThatThrownBy(
            () ->
                Forms.schedule("rayerp", form("{'name':'a','keepLast':'many'}"), template(), null))
        .hasMessage("keepLast 'many' is not a whole number");
    assertThatThrownBy(
            () ->
                Forms.schedule(
                    "rayerp",
                    form("{'name':'a','every':'Monthly','dayOfMonth':'31'}"),
                    template(),
                    null))
        .hasMessageContaining("1 to 28");
    assertThatThrownBy(() -> Forms.schedule("rayerp", form("{'name':'Nightly'}"), template(), null))
        .hasMessageContaining("schedule name 'Nightly'");
  }

  static Backup backup(BackupSpec.EncryptionSpec encryption) {
    Backup b = new Backup();
    b.getMetadata().setName("rayerp-2026-12-01");
    b.setSpec(template());
    b.getSpec().encryption = encryption;
    return b;
  }

  @Test
  void givenAReplace_thenOnlyTheTypedNameConfirmsIt_andAPreviewNeedsNone() throws Exception {
    Backup b = backup(template().encryption);
    String key = ",'decryptionSecret':'age-key','decryptionKey':'identity'";
    assertThatThrownBy(() -> Forms.restore("rayerp", form("{'mode':'Replace'" + key + "}"), b))
        .hasMessage(
            "a Replace drops and recreates every selected collection and file tree: type the backup's name (rayerp-2026-12-01) to confirm it");
    assertThatThrownBy(
            () ->
                Forms.restore(
                    "rayerp", form("{'mode':'Replace','confirmText':'rayerp'" + key + "}"), b))
        .isInstanceOf(Forms.Invalid.class);
    Restore preview =
        Forms.restore("rayerp", form("{'mode':'Replace','dryRun':true" + key + "}"), b);
    assertThat(preview.getSpec().dryRun).isTrue();
    assertThat(preview.getSpec().confirm).isNull();
    assertThat(preview.getMetadata().getGenerateName()).isEqualTo("rayerp-2026-12-01-preview-");
    Restore r =
        Forms.restore(
            "rayerp",
            form(
                "{'mode':'Replace','confirmText':'rayerp-2026-12-01','modules':['hr'],"
                    + "'renameDatabases':{'erp':'erp_restored'},'targetClaims':{'uploads':'uploads-restored'}"
                    + key
                    + "}"),
            b);
    assertThat(r.getSpec().mode).isEqualTo(RestoreSpec.Mode.Replace);
    assertThat(r.getSpec().confirm).isTrue();
    assertThat(r.getSpec().backupName).isEqualTo("rayerp-2026-12-01");
    assertThat(r.getSpec().modules).containsExactly("hr");
    assertThat(r.getSpec().decryption.identity.name).isEqualTo("age-key");
    assertThat(r.getSpec().target.mongodb.renameDatabases).containsEntry("erp", "erp_restored");
    assertThat(r.getSpec().target.files)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.name).isEqualTo("uploads");
              assertThat(f.claimName).isEqualTo("uploads-restored");
            });
  }

  @Test
  void givenAnEncryptedBackup_thenTheKeysSecretIsNamed_asPassphraseOrIdentity() throws Exception {
    assertThatThrownBy(() -> Forms.restore("rayerp", form("{}"), backup(template().encryption)))
        .hasMessageContaining("is encrypted: name the Secret and key that hold its age identity");
    var pass = new BackupSpec.EncryptionSpec();
    pass.passphraseSecret = new KeyRef("pass", "passphrase");
    Restore r =
        Forms.restore(
            "rayerp",
            form("{'decryptionSecret':'pass','decryptionKey':'passphrase'}"),
            backup(pass));
    assertThat(r.getSpec().decryption.passphraseSecret.name).isEqualTo("pass");
    assertThat(r.getSpec().decryption.identity).isNull();
    Restore plain = Forms.restore("rayerp", form("{}"), backup(null));
    assertThat(plain.getSpec().decryption).isNull();
    assertThat(plain.getSpec().mode).isEqualTo(RestoreSpec.Mode.Merge);
    assertThat(plain.getSpec().target).as("in place by default").isNull();
  }

  @Test
  void givenAStoredBackupById_thenSourceAndTargetComeFromTheTemplate_andAReplaceWantsTheIdTyped()
      throws Exception {
    String key = ",'decryptionSecret':'age-key','decryptionKey':'identity'";
    Restore r =
        Forms.restoreById(
            "rayerp",
            form(
                "{'backupId':'rayerp-nightly-20261201-ab12','renameDatabases':{'erp':'erp_dr'},"
                    + "'targetClaims':{'uploads':'uploads-dr'}"
                    + key
                    + "}"),
            template());
    assertThat(r.getSpec().backupName).isNull();
    assertThat(r.getSpec().source.backupId).isEqualTo("rayerp-nightly-20261201-ab12");
    assertThat(r.getSpec().source.storage.s3.bucket).isEqualTo("backups");
    assertThat(r.getSpec().target.mongodb.uriSecret.name).isEqualTo("mongo");
    assertThat(r.getSpec().target.mongodb.renameDatabases).containsEntry("erp", "erp_dr");
    assertThat(r.getSpec().target.files).extracting(f -> f.claimName).containsExactly("uploads-dr");
    assertThat(
            Forms.restoreById("rayerp", form("{'backupId':'x1'" + key + "}"), template())
                .getSpec()
                .target
                .files)
        .as("no tree unless a claim is named for it")
        .isEmpty();
    assertThat(r.getSpec().decryption.identity.name).isEqualTo("age-key");
    assertThat(r.getMetadata().getGenerateName())
        .isEqualTo("rayerp-nightly-20261201-ab12-restore-");
    assertThatThrownBy(
            () -> Forms.restoreById("rayerp", form("{'backupId':'../etc'" + key + "}"), template()))
        .hasMessageContaining("backup id '../etc'");
    assertThatThrownBy(
            () ->
                Forms.restoreById(
                    "rayerp",
                    form("{'backupId':'x1','mode':'Replace','confirmText':'x'" + key + "}"),
                    template()))
        .hasMessageContaining("type the backup id (x1)");
  }
}
