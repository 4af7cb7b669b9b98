package io.coffer.console;

import com.fasterxml.jackson.databind.JsonNode;
import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The console's forms, turned into Coffer resources: pure functions of what the user typed and the
 * spec of the resource they chose as a template (a schedule's Backup template, or an earlier
 * Backup: it says where the data lies, where it is stored and how it is encrypted, which the
 * console cannot know otherwise and must never invent). A form that does not make sense fails with
 * {@link Invalid}, whose message says what to change; the API server's own validation (CEL rules,
 * patterns) still applies after this.
 */
public final class Forms {
  static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final Pattern NAME = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  private static final Pattern MODULE = Pattern.compile("^[a-z0-9][a-z0-9_-]*$");
  private static final Pattern TIME = Pattern.compile("^([01][0-9]|2[0-3]):[0-5][0-9]$");
  private static final Pattern RETENTION_AGE = Pattern.compile("^[0-9]+[mhdw]$");

  /**
   * Where the console's resources say who made them: the user's own name is on the API server's
   * audit log.
   */
  public static final String ANNOTATION_CREATED_BY = "coffer.io/created-with";

  private Forms() {}

  /** A form that cannot become a resource: the message is for the person who filled it in. */
  public static final class Invalid extends RuntimeException {
    public Invalid(String message) {
      super(message);
    }
  }

  /** A deep copy of a Backup spec (the template is never changed in place). */
  static BackupSpec copy(BackupSpec spec) {
    return JSON.unmarshal(JSON.asJson(spec), BackupSpec.class);
  }

  /**
   * A new Backup: {@code template} gives source, storage, encryption and chain; the form chooses
   * the type, the modules and whether to encrypt. Fields: name (optional: generated from the
   * template's name), type, modules, encrypt.
   */
  public static Backup backup(
      String namespace, JsonNode form, String templateName, BackupSpec template) {
    BackupSpec spec = copy(template);
    spec.type =
        enumOf(
            BackupSpec.Type.class,
            text(form, "type", spec.type == null ? "Full" : spec.type.name()),
            "type");
    applyWhat(spec, form);
    Backup b = new Backup();
    b.setMetadata(meta(namespace, text(form, "name", null), templateName + "-manual-"));
    b.setSpec(spec);
    return b;
  }

  /** Type, modules and encryption, shared by the Backup and the schedule forms. */
  private static void applyWhat(BackupSpec spec, JsonNode form) {
    List<String> modules = strings(form, "modules");
    for (String m : modules) {
      if (!MODULE.matcher(m).matches())
        throw new Invalid(
            "module '" + m + "' is not a module name (lower case letters, digits, - and _)");
    }
    boolean database = spec.type != BackupSpec.Type.Files;
    if (database && spec.source.mongodb == null) {
      throw new Invalid(
          "type "
              + spec.type
              + " backs up MongoDB, but the template has no MongoDB source: choose type Files or another template");
    }
    if (spec.type != BackupSpec.Type.Database
        && spec.type != BackupSpec.Type.Incremental
        && spec.source.files.isEmpty()) {
      throw new Invalid(
          "type "
              + spec.type
              + " backs up volumes, but the template has none: choose type Database or another template");
    }
    if (spec.type == BackupSpec.Type.Files) spec.source.mongodb = null;
    if (spec.type == BackupSpec.Type.Database) spec.source.files = new ArrayList<>();
    if (spec.type == BackupSpec.Type.Incremental && spec.chain == null) {
      throw new Invalid(
          "an Incremental backup builds on a chain, and the template has no chain.indexKeySecret: choose a template that has one");
    }
    if (spec.type != BackupSpec.Type.Incremental && spec.chain != null) spec.chain.parent = null;
    if (spec.source.mongodb != null && form.has("modules")) {
      if (!modules.isEmpty() && spec.source.mongodb.moduleMap == null) {
        throw new Invalid(
            "the template has no module map (source.mongodb.moduleMap), so modules cannot be chosen: leave them all unticked");
      }
      // ticked modules are the selection (the template's include patterns would add to them); none
      // ticked: the template's
      if (!modules.isEmpty()) {
        spec.source.mongodb.modules = modules;
        spec.source.mongodb.include = new ArrayList<>();
      }
    }
    boolean encrypt = form.path("encrypt").asBoolean(spec.encryption != null);
    if (encrypt && spec.encryption == null) {
      throw new Invalid(
          "the template has no encryption keys (spec.encryption), so this backup cannot be encrypted: choose a template that has them");
    }
    if (!encrypt) spec.encryption = null;
  }

  /**
   * A new schedule (or, with {@code existing}, the same schedule edited: name and template stay).
   * Fields: name, every (Daily, Weekly, Monthly or Cron), time, dayOfWeek, dayOfMonth, cron,
   * timeZone, type, modules, encrypt, keepLast, maxAge, keepDaily, keepWeekly, keepMonthly,
   * verifyAfterEachBackup.
   */
  public static BackupSchedule schedule(
      String namespace, JsonNode form, BackupSpec template, BackupSchedule existing) {
    BackupScheduleSpec spec =
        existing == null
            ? new BackupScheduleSpec()
            : JSON.unmarshal(JSON.asJson(existing.getSpec()), BackupScheduleSpec.class);
    BackupSpec t = copy(template);
    t.type =
        enumOf(
            BackupSpec.Type.class,
            text(form, "type", t.type == null ? "Full" : t.type.name()),
            "type");
    applyWhat(t, form);
    spec.template = t;
    String every = text(form, "every", "Daily");
    if (every.equals("Cron")) {
      String cron = text(form, "cron", "").trim();
      if (cron.isEmpty())
        throw new Invalid(
            "a Cron schedule needs a cron expression, e.g. '0 2 * * *' (02:00 every day)");
      if (!cron.startsWith("@") && cron.split("\\s+").length != 5) {
        throw new Invalid(
            "'"
                + cron
                + "' is not a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. '0 2 * * *'");
      }
      spec.schedule = cron;
      spec.frequency = null;
    } else {
      var f = new BackupScheduleSpec.Frequency();
      f.every = enumOf(BackupScheduleSpec.Frequency.Every.class, every, "frequency");
      f.time = text(form, "time", "02:00");
      if (!TIME.matcher(f.time).matches())
        throw new Invalid("time '" + f.time + "' is not a time of day HH:MM, e.g. 02:00");
      if (f.every == BackupScheduleSpec.Frequency.Every.Weekly) {
        f.dayOfWeek =
            enumOf(
                BackupScheduleSpec.Frequency.Day.class,
                text(form, "dayOfWeek", "Sunday"),
                "day of the week");
      }
      if (f.every == BackupScheduleSpec.Frequency.Every.Monthly) {
        int day = form.path("dayOfMonth").asInt(1);
        if (day < 1 || day > 28)
          throw new Invalid(
              "day of the month must be 1 to 28 (so that every month has it), not " + day);
        f.dayOfMonth = day;
      }
      spec.frequency = f;
      spec.schedule = null;
    }
    String zone = text(form, "timeZone", spec.timeZone == null ? "UTC" : spec.timeZone);
    try {
      ZoneId.of(zone);
    } catch (RuntimeException e) {
      throw new Invalid("'" + zone + "' is not an IANA time zone, e.g. UTC or Europe/Berlin");
    }
    spec.timeZone = zone;
    var r = spec.retention == null ? new BackupScheduleSpec.RetentionSpec() : spec.retention;
    r.keepLast = count(form, "keepLast", r.keepLast);
    r.keepDaily = count(form, "keepDaily", r.keepDaily);
    r.keepWeekly = count(form, "keepWeekly", r.keepWeekly);
    r.keepMonthly = count(form, "keepMonthly", r.keepMonthly);
    if (form.has("maxAge")) {
      String age = form.path("maxAge").asText("").trim();
      if (!age.isEmpty() && !RETENTION_AGE.matcher(age).matches())
        throw new Invalid("keep for '" + age + "' is not an age like 30d, 12h or 4w");
      r.maxAge = age.isEmpty() ? null : age;
    }
    spec.retention = r;
    if (form.has("verifyAfterEachBackup"))
      spec.verifyAfterEachBackup =
          form.path("verifyAfterEachBackup").asBoolean() ? Boolean.TRUE : null;
    BackupSchedule s = new BackupSchedule();
    if (existing != null) {
      s.setMetadata(new ObjectMeta());
      s.getMetadata().setName(existing.getMetadata().getName());
      s.getMetadata().setNamespace(namespace);
    } else {
      String name = text(form, "name", "");
      if (!NAME.matcher(name).matches() || name.length() > 52) {
        throw new Invalid(
            "schedule name '"
                + name
                + "' must be lower case letters, digits and '-', at most 52 characters, e.g. nightly");
      }
      s.setMetadata(meta(namespace, name, null));
    }
    s.setSpec(spec);
    return s;
  }

  /**
   * A Restore of Backup {@code backupName}: fields modules, trees, mode (Merge or Replace), dryRun,
   * confirmText (for a Replace that is not a dry run: the Backup's name, typed), decryptionSecret
   * and decryptionKey (names only: the console never reads the Secret), passphrase (the Secret
   * holds a passphrase, not an identity), renameDatabases ({from: to}), targetClaims ({tree:
   * claim}).
   */
  public static Restore restore(String namespace, JsonNode form, Backup backup) {
    RestoreSpec spec = new RestoreSpec();
    spec.backupName = backup.getMetadata().getName();
    return restore(
        namespace, form, spec, spec.backupName, backup.getSpec().encryption, "the backup's name");
  }

  /**
   * A Restore of a backup that only storage knows (disaster recovery: no Backup resource), by its
   * id: where it lies and its MongoDB come from {@code template}, a schedule's or a Backup's spec;
   * file trees go where targetClaims says; the form adds backupId and the same fields as {@link
   * #restore(String, JsonNode, Backup)}. Whether it is encrypted is known only once read, so the
   * key follows the template's encryption.
   */
  public static Restore restoreById(String namespace, JsonNode form, BackupSpec template) {
    String id = text(form, "backupId", "").trim();
    if (!BACKUP_ID.matcher(id).matches()) {
      throw new Invalid(
          "backup id '"
              + id
              + "' is not one (letters, digits, . _ -, as `coffer list` or a Backup's status.backupId shows it)");
    }
    RestoreSpec spec = new RestoreSpec();
    spec.source = new RestoreSpec.Source();
    spec.source.storage = copy(template).storage;
    spec.source.backupId = id;
    spec.target = new RestoreSpec.Target();
    if (template.source.mongodb != null) {
      spec.target.mongodb = new RestoreSpec.TargetMongo();
      spec.target.mongodb.uriSecret = template.source.mongodb.uriSecret;
    }
    // file trees only where the form names a claim for them (targetClaims): the template's volumes
    // may hold trees this
    // backup does not, and the engine refuses a target for a tree the backup lacks
    return restore(namespace, form, spec, id, template.encryption, "the backup id");
  }

  /**
   * A Restore of a file the user uploads (spec.source.upload) into the storage of {@code template}
   * (a schedule's or a Backup's spec; S3 only), back into its MongoDB and the claims targetClaims
   * names. The form's upload holds fileName (a new upload: the console streams the file to the URL
   * the operator answers with) or fromRestore (the file an earlier Restore uploaded: the preview's,
   * restored for real), and the same fields as {@link #restore(String, JsonNode, Backup)}.
   */
  public static Restore restoreUpload(String namespace, JsonNode form, BackupSpec template) {
    if (template.storage.s3 == null)
      throw new Invalid(
          "uploads are staged in S3, and this storage is a volume (claim "
              + template.storage.volume.claimName
              + "): choose a schedule or backup that stores in S3, or copy the file onto the volume and"
              + " restore it with kubectl (spec.source.archive)");
    JsonNode u = form.path("upload");
    String fileName = text(u, "fileName", "").trim();
    String from = text(u, "fromRestore", "").trim();
    RestoreSpec spec = new RestoreSpec();
    spec.source = new RestoreSpec.Source();
    spec.source.storage = copy(template).storage;
    spec.source.upload = new RestoreSpec.Upload();
    String label;
    if (!from.isEmpty()) {
      spec.source.upload.fromRestore = from;
      label = text(u, "label", from);
    } else {
      if (!UPLOAD_NAME.matcher(fileName).matches())
        throw new Invalid(
            "the file '"
                + fileName
                + "' is not one Coffer restores: a Coffer archive (.zip or .zip.age, as Download writes"
                + " it) or a mongodump archive (.archive, .archive.gz or .gz), its name letters, digits, . _ -");
      spec.source.upload.fileName = fileName;
      label = fileName;
    }
    spec.target = new RestoreSpec.Target();
    if (template.source.mongodb != null) {
      spec.target.mongodb = new RestoreSpec.TargetMongo();
      spec.target.mongodb.uriSecret = template.source.mongodb.uriSecret;
    }
    // an age-encrypted file (.age) needs its key: the template's kind (identity or passphrase), an
    // identity by default; any other file is read as it is
    BackupSpec.EncryptionSpec encryption =
        !label.endsWith(".age")
            ? null
            : template.encryption != null ? template.encryption : new BackupSpec.EncryptionSpec();
    return restore(namespace, form, spec, label, encryption, "the file's name");
  }

  private static final Pattern UPLOAD_NAME =
      Pattern.compile(
          "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}[.](zip|zip[.]age|archive|archive[.]gz|gz)$");

  private static final Pattern BACKUP_ID = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");

  private static Restore restore(
      String namespace,
      JsonNode form,
      RestoreSpec spec,
      String backupName,
      BackupSpec.EncryptionSpec encryption,
      String what) {
    spec.mode = enumOf(RestoreSpec.Mode.class, text(form, "mode", "Merge"), "mode");
    spec.dryRun = form.path("dryRun").asBoolean(false) ? Boolean.TRUE : null;
    if (spec.mode == RestoreSpec.Mode.Replace && spec.dryRun == null) {
      String typed = text(form, "confirmText", "");
      if (!typed.equals(backupName)) {
        throw new Invalid(
            "a Replace drops and recreates every selected collection and file tree: type "
                + what
                + " ("
                + backupName
                + ") to confirm it");
      }
      spec.confirm = true;
    }
    String until = text(form, "pointInTime", "").trim();
    if (!until.isEmpty()) {
      try {
        spec.pointInTime =
            OffsetDateTime.parse(until).toInstant().truncatedTo(ChronoUnit.SECONDS).toString();
      } catch (DateTimeParseException e) {
        throw new Invalid(
            "a moment is a date and time such as 2026-12-07T10:15:00Z (UTC) or"
                + " 2026-12-07T11:15:00+01:00, not '"
                + until
                + "'");
      }
    }
    spec.modules = strings(form, "modules");
    for (String m : spec.modules) {
      if (!MODULE.matcher(m).matches())
        throw new Invalid("module '" + m + "' is not a module name");
    }
    spec.trees = strings(form, "trees");
    if (encryption != null) {
      String secret = text(form, "decryptionSecret", "").trim();
      String key = text(form, "decryptionKey", "").trim();
      if (secret.isEmpty() || key.isEmpty()) {
        throw new Invalid(
            "backup "
                + backupName
                + " is encrypted: name the Secret and key that hold its "
                + (encryption.passphraseSecret != null ? "passphrase" : "age identity")
                + " (the console never reads it; the restore Job does)");
      }
      spec.decryption = new RestoreSpec.Decryption();
      if (encryption.passphraseSecret != null)
        spec.decryption.passphraseSecret = new KeyRef(secret, key);
      else spec.decryption.identity = new KeyRef(secret, key);
    }
    Map<String, String> rename = map(form, "renameDatabases");
    Map<String, String> claims = map(form, "targetClaims");
    if (!rename.isEmpty() || !claims.isEmpty()) {
      if (spec.target == null) spec.target = new RestoreSpec.Target();
      if (!rename.isEmpty()) {
        if (spec.target.mongodb == null) spec.target.mongodb = new RestoreSpec.TargetMongo();
        spec.target.mongodb.renameDatabases = rename;
      }
      for (var e : claims.entrySet()) {
        spec.target.files.removeIf(f -> f.name.equals(e.getKey()));
        var v = new BackupSpec.FileVolume();
        v.name = e.getKey();
        v.claimName = e.getValue();
        spec.target.files.add(v);
      }
    }
    Restore r = new Restore();
    String base =
        backupName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
    r.setMetadata(
        meta(
            namespace,
            text(form, "name", null),
            (base.isEmpty() ? "restore" : base)
                + (spec.dryRun != null ? "-preview-" : "-restore-")));
    r.setSpec(spec);
    return r;
  }

  private static ObjectMeta meta(String namespace, String name, String generateName) {
    ObjectMeta m = new ObjectMeta();
    m.setNamespace(namespace);
    if (name != null && !name.isBlank()) {
      if (!NAME.matcher(name).matches() || name.length() > 63) {
        throw new Invalid(
            "name '"
                + name
                + "' must be lower case letters, digits and '-' (at most 63), or empty for a generated one");
      }
      m.setName(name);
    } else {
      m.setGenerateName(
          generateName.length() > 50 ? generateName.substring(0, 49) + "-" : generateName);
    }
    m.setAnnotations(new LinkedHashMap<>(Map.of(ANNOTATION_CREATED_BY, "coffer console")));
    return m;
  }

  private static String text(JsonNode form, String field, String otherwise) {
    JsonNode n = form.get(field);
    return n == null || n.isNull() || n.asText().isEmpty() ? otherwise : n.asText();
  }

  private static Integer count(JsonNode form, String field, Integer otherwise) {
    if (!form.has(field)) return otherwise;
    JsonNode n = form.get(field);
    if (n.isNull() || n.asText().isBlank()) return null;
    int v;
    try {
      v = Integer.parseInt(n.asText().trim());
    } catch (NumberFormatException e) {
      throw new Invalid(field + " '" + n.asText() + "' is not a whole number");
    }
    if (v < 1 || v > 10000) throw new Invalid(field + " must be 1 to 10000 (or empty), not " + v);
    return v;
  }

  private static List<String> strings(JsonNode form, String field) {
    List<String> out = new ArrayList<>();
    JsonNode n = form.get(field);
    if (n != null && n.isArray())
      n.forEach(
          x -> {
            if (!x.asText().isBlank()) out.add(x.asText().trim());
          });
    return out;
  }

  private static Map<String, String> map(JsonNode form, String field) {
    Map<String, String> out = new LinkedHashMap<>();
    JsonNode n = form.get(field);
    if (n != null && n.isObject())
      n.fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().isBlank() && !e.getValue().asText().isBlank())
                  out.put(e.getKey().trim(), e.getValue().asText().trim());
              });
    return out;
  }

  private static <E extends Enum<E>> E enumOf(Class<E> type, String value, String what) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value)) return e;
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) names.add(e.name());
    throw new Invalid(what + " '" + value + "' is not one of " + String.join(", ", names));
  }
}
