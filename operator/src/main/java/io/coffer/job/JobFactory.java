package io.coffer.job;

import io.coffer.api.Backup;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.PodTemplate;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that turns a resource into a Job: names, labels, the engine's command line, secrets as env
 * or mounted files (the operator never reads them), volumes, and a pod that meets the "restricted" Pod
 * Security profile with no service-account token. Pure: same input, same Job.
 */
public final class JobFactory {
  public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String MANAGER = "coffer";
  public static final String LABEL_BACKUP = "coffer.io/backup";
  public static final String LABEL_RESTORE = "coffer.io/restore";
  public static final String LABEL_ATTEMPT = "coffer.io/attempt";
  public static final String LABEL_PURPOSE = "coffer.io/purpose";
  /** On every Job: the id of the backup in storage it works on (an annotation: ids can be longer than label values). */
  public static final String ANNOTATION_BACKUP_ID = "coffer.io/backup-id";
  /** On an Incremental Backup's Jobs: the id of the backup it builds on. Retries and a restarted operator read it back. */
  public static final String ANNOTATION_PARENT_ID = "coffer.io/parent-backup-id";
  static final String FILES_ROOT = "/data/files/";
  /** Where a Restore's source.archive volume is mounted (read-only). */
  static final String ARCHIVE_ROOT = "/data/archive";
  static final String STORAGE_ROOT = "/data/storage";
  static final String SECRETS_ROOT = "/etc/coffer/";
  public static final String TERMINATION_LOG = "/dev/termination-log";


  /** Operator settings that shape Jobs. */
  public record Settings(String image, String imagePullPolicy) {}

  private JobFactory() {}

  /** The id of a Backup's archive in storage: its name and the start of its uid, unique even if the name is reused. */
  public static String backupId(Backup b) {
    String uid = b.getMetadata().getUid() == null ? "0000000" : b.getMetadata().getUid().replace("-", "");
    return b.getMetadata().getName() + "-" + uid.substring(0, Math.min(8, uid.length()));
  }

  /** {@code <name>-backup-<attempt>}, shortened with a hash to fit the 63 characters of a label value. */
  public static String jobName(HasMetadata owner, String purpose, int attempt) {
    String base = owner.getMetadata().getName() + "-" + purpose + "-" + attempt;
    if (base.length() <= 63) return base;
    String hash = sha(base).substring(0, 8);
    return owner.getMetadata().getName().substring(0, 63 - purpose.length() - 12 - String.valueOf(attempt).length())
        + "-" + hash + "-" + purpose + "-" + attempt;
  }

  public static Job backupJob(Backup b, int attempt, Settings s) {
    return backupJob(b, attempt, s, null);
  }

  /** {@code parentId}: for an Incremental Backup, the backup id of the one it builds on. */
  public static Job backupJob(Backup b, int attempt, Settings s, String parentId) {
    BackupSpec spec = b.getSpec();
    // --existing keep: an attempt killed after it finished (backup.json written) must not fail the retry
    // a retried attempt may find the lock of the attempt before it, whose pod was killed: under the Backup's uid as lock
    // token it takes that over at once (attempts of one Backup never overlap); another writer's lock it waits for
    List<String> args = new ArrayList<>(List.of("backup", "--id", backupId(b), "--wait-for-lock", "240", "--lock-token", String.valueOf(b.getMetadata().getUid()),
        "--type", spec.type.name().toLowerCase(),
        "--existing", "keep", "--progress", "json", "--result-file", TERMINATION_LOG));
    if (spec.type == BackupSpec.Type.Incremental) {
      if (parentId == null) throw new IllegalArgumentException("an Incremental Backup's Job needs the parent's backup id");
      args.addAll(List.of("--parent", parentId));
    }
    List<EnvVar> env = new ArrayList<>();
    List<Volume> volumes = new ArrayList<>(List.of(tmpVolume()));
    List<VolumeMount> mounts = new ArrayList<>(List.of(mount("tmp", "/tmp", false)));
    storage(spec.storage, args, env, volumes, mounts);
    BackupSpec.MongoSource m = spec.source.mongodb;
    if (m != null && spec.type != BackupSpec.Type.Files) {
      env.add(secretEnv("COFFER_MONGODB_URI", m.uriSecret));
      m.include.forEach(p -> args.addAll(List.of("--include", p)));
      m.exclude.forEach(p -> args.addAll(List.of("--exclude", p)));
      if (!m.modules.isEmpty()) args.addAll(List.of("--modules", String.join(",", m.modules)));
      if (m.moduleMap != null) {
        volumes.add(new VolumeBuilder().withName("module-map").withNewConfigMap().withName(m.moduleMap.name)
            .addNewItem().withKey(m.moduleMap.key).withPath("modules.yaml").endItem().endConfigMap().build());
        mounts.add(mount("module-map", SECRETS_ROOT + "module-map", true));
        args.addAll(List.of("--module-map", SECRETS_ROOT + "module-map/modules.yaml"));
      }
    }
    if (spec.type != BackupSpec.Type.Database) {
      for (BackupSpec.FileVolume f : spec.source.files) {
        String vol = "files-" + f.name.toLowerCase().replaceAll("[^a-z0-9-]", "-");
        volumes.add(new VolumeBuilder().withName(vol).withNewPersistentVolumeClaim(f.claimName, true).build());
        VolumeMount vm = mount(vol, FILES_ROOT + f.name, true);
        if (f.subPath != null && !f.subPath.isBlank()) vm.setSubPath(f.subPath);
        mounts.add(vm);
        args.addAll(List.of("--files", f.name + "=" + FILES_ROOT + f.name));
      }
      spec.source.filesInclude.forEach(g -> args.addAll(List.of("--files-include", g)));
      spec.source.filesExclude.forEach(g -> args.addAll(List.of("--files-exclude", g)));
    }
    if (spec.encryption != null) {
      if (spec.encryption.recipients != null) {
        secretFile("recipients", spec.encryption.recipients, volumes, mounts);
        args.addAll(List.of("--recipients-file", SECRETS_ROOT + "recipients/value"));
      } else if (spec.encryption.passphraseSecret != null) {
        secretFile("passphrase", spec.encryption.passphraseSecret, volumes, mounts);
        args.addAll(List.of("--passphrase-file", SECRETS_ROOT + "passphrase/value"));
      }
    }
    if (spec.compression != null) {
      args.addAll(List.of("--compression", spec.compression.method.name(), "--level", String.valueOf(spec.compression.level)));
    }
    if (spec.chain != null) {
      secretFile("index-key", spec.chain.indexKeySecret, volumes, mounts);
      args.addAll(List.of("--index-key-file", SECRETS_ROOT + "index-key/value"));
    }
    if (spec.storage.uploadLimitMiBps != null) args.addAll(List.of("--limit-upload", String.valueOf(spec.storage.uploadLimitMiBps)));
    Map<String, String> labels = labels(LABEL_BACKUP, b, "backup", String.valueOf(attempt));
    Map<String, String> annotations = new LinkedHashMap<>(Map.of(ANNOTATION_BACKUP_ID, backupId(b)));
    if (parentId != null) annotations.put(ANNOTATION_PARENT_ID, parentId);
    return job(b, jobName(b, "backup", attempt), labels, annotations, args, env, volumes, mounts, spec.podTemplate, spec.activeDeadlineSeconds, s);
  }

  /** A Job running {@code coffer verify}: the checksum, or with {@code deep} every entry (needs the identity Secret). */
  public static Job verifyJob(Backup b, int n, boolean deep, Settings s) {
    List<String> args = new ArrayList<>(List.of("verify", "--backup", backupId(b), "--result-file", TERMINATION_LOG, "--progress", "json"));
    List<EnvVar> env = new ArrayList<>();
    List<Volume> volumes = new ArrayList<>(List.of(tmpVolume()));
    List<VolumeMount> mounts = new ArrayList<>(List.of(mount("tmp", "/tmp", false)));
    storage(b.getSpec().storage, args, env, volumes, mounts);
    if (deep) {
      args.add("--deep");
      BackupSpec.VerificationSpec v = b.getSpec().verification;
      if (v != null && v.identity != null) {
        boolean passphrase = b.getSpec().encryption != null && b.getSpec().encryption.passphraseSecret != null;
        secretFile("identity", v.identity, volumes, mounts);
        args.addAll(List.of(passphrase ? "--passphrase-file" : "--identity-file", SECRETS_ROOT + "identity/value"));
      }
    }
    Map<String, String> labels = labels(LABEL_BACKUP, b, "verify", String.valueOf(n));
    return job(b, jobName(b, "verify", n), labels, Map.of(ANNOTATION_BACKUP_ID, backupId(b)), args, env, volumes, mounts, b.getSpec().podTemplate, null, s);
  }

  /** A Job running {@code coffer share}: a presigned URL of the stored archive, valid {@code minutes}; storage access only. */
  public static Job shareJob(Backup b, int n, int minutes, Settings s) {
    List<String> args = new ArrayList<>(List.of("share", "--backup", backupId(b), "--expires", String.valueOf(minutes), "--result-file", TERMINATION_LOG));
    List<EnvVar> env = new ArrayList<>();
    List<Volume> volumes = new ArrayList<>(List.of(tmpVolume()));
    List<VolumeMount> mounts = new ArrayList<>(List.of(mount("tmp", "/tmp", false)));
    storage(b.getSpec().storage, args, env, volumes, mounts);
    Map<String, String> labels = labels(LABEL_BACKUP, b, "share", String.valueOf(n));
    return job(b, jobName(b, "share", n), labels, Map.of(ANNOTATION_BACKUP_ID, backupId(b)), args, env, volumes, mounts, b.getSpec().podTemplate, 300L, s);
  }

  /** A Job that deletes the Backup's objects from storage ({@code coffer delete}); needs storage access only. */
  public static Job deleteJob(Backup b, int attempt, Settings s) {
    // the Backup's own attempts hold its id's lock under its uid; the operator deletes only once they have been stopped
    List<String> args = new ArrayList<>(List.of("delete", "--backup", backupId(b), "--lock-token", String.valueOf(b.getMetadata().getUid()),
        "--result-file", TERMINATION_LOG));
    List<EnvVar> env = new ArrayList<>();
    List<Volume> volumes = new ArrayList<>(List.of(tmpVolume()));
    List<VolumeMount> mounts = new ArrayList<>(List.of(mount("tmp", "/tmp", false)));
    storage(b.getSpec().storage, args, env, volumes, mounts);
    Map<String, String> labels = labels(LABEL_BACKUP, b, "delete", String.valueOf(attempt));
    return job(b, jobName(b, "delete", attempt), labels, Map.of(ANNOTATION_BACKUP_ID, backupId(b)), args, env, volumes, mounts, b.getSpec().podTemplate, 600L, s);
  }

  /**
   * A Job running {@code coffer restore}. {@code backup} is the Backup named by the Restore, or null for a
   * restore from a storage location (disaster recovery); targets default to the Backup's sources.
   */
  public static Job restoreJob(Restore r, Backup backup, Settings s) {
    RestoreSpec spec = r.getSpec();
    RestoreSpec.ArchiveFile archive = backup == null && spec.source != null ? spec.source.archive : null;
    String id = null; // an archive file names its backup only in the engine's result
    List<String> args = new ArrayList<>(List.of("restore", "--mode", spec.mode.name().toLowerCase(),
        "--progress", "json", "--result-file", TERMINATION_LOG));
    if (Boolean.TRUE.equals(spec.dryRun)) args.add("--dry-run");
    if (Boolean.TRUE.equals(spec.confirm)) args.add("--yes"); // the Restore's confirm: the engine asks nothing more
    List<EnvVar> env = new ArrayList<>();
    List<Volume> volumes = new ArrayList<>(List.of(tmpVolume()));
    List<VolumeMount> mounts = new ArrayList<>(List.of(mount("tmp", "/tmp", false)));
    if (archive != null) { // the file names its backup; read-only, whatever the mode
      volumes.add(new VolumeBuilder().withName("archive").withNewPersistentVolumeClaim(archive.claimName, true).build());
      mounts.add(mount("archive", ARCHIVE_ROOT, true));
      args.addAll(List.of("--archive", ARCHIVE_ROOT + "/" + archive.path));
    } else if (backup == null && spec.source.mongodump != null) { // what a mongodump cron left in a storage location
      args.addAll(List.of("--from-mongodump", spec.source.mongodump));
      storage(spec.source.storage, args, env, volumes, mounts, true); // only read: the legacy dump may be the only copy
    } else {
      id = backup != null ? backupId(backup) : spec.source.backupId;
      args.addAll(1, List.of("--backup", id));
      // a restore only reads its storage: a volume storage is mounted read-only, so no restore can touch a backup
      storage(backup != null ? backup.getSpec().storage : spec.source.storage, args, env, volumes, mounts, true);
    }
    KeyRef uri = targetUri(r, backup);
    if (uri != null) env.add(secretEnv("COFFER_MONGODB_URI", uri));
    if (spec.target != null && spec.target.mongodb != null && spec.target.mongodb.renameDatabases != null) {
      spec.target.mongodb.renameDatabases.forEach((from, to) -> args.addAll(List.of("--rename-db", from + "=" + to)));
    }
    spec.include.forEach(p -> args.addAll(List.of("--include", p)));
    spec.exclude.forEach(p -> args.addAll(List.of("--exclude", p)));
    if (!spec.modules.isEmpty()) args.addAll(List.of("--modules", String.join(",", spec.modules)));
    spec.trees.forEach(t -> args.addAll(List.of("--tree", t)));
    for (BackupSpec.FileVolume f : targetFiles(r, backup)) {
      String vol = "files-" + f.name.toLowerCase().replaceAll("[^a-z0-9-]", "-");
      volumes.add(new VolumeBuilder().withName(vol).withNewPersistentVolumeClaim(f.claimName, Boolean.TRUE.equals(spec.dryRun)).build());
      VolumeMount vm = mount(vol, FILES_ROOT + f.name, Boolean.TRUE.equals(spec.dryRun));
      if (f.subPath != null && !f.subPath.isBlank()) vm.setSubPath(f.subPath);
      mounts.add(vm);
      args.addAll(List.of("--files-target", f.name + "=" + FILES_ROOT + f.name));
    }
    if (spec.decryption != null) {
      if (spec.decryption.identity != null) {
        secretFile("identity", spec.decryption.identity, volumes, mounts);
        args.addAll(List.of("--identity-file", SECRETS_ROOT + "identity/value"));
      } else {
        secretFile("passphrase", spec.decryption.passphraseSecret, volumes, mounts);
        args.addAll(List.of("--passphrase-file", SECRETS_ROOT + "passphrase/value"));
      }
    }
    Map<String, String> labels = labels(LABEL_RESTORE, r, "restore", "1");
    return job(r, jobName(r, "restore", 1), labels, id == null ? Map.of() : Map.of(ANNOTATION_BACKUP_ID, id), args, env, volumes, mounts, spec.podTemplate, null, s);
  }

  /** The MongoDB a Restore writes to: its own target, else the Backup's source. */
  public static KeyRef targetUri(Restore r, Backup backup) {
    RestoreSpec spec = r.getSpec();
    if (spec.target != null && spec.target.mongodb != null && spec.target.mongodb.uriSecret != null) return spec.target.mongodb.uriSecret;
    return backup != null && backup.getSpec().source.mongodb != null ? backup.getSpec().source.mongodb.uriSecret : null;
  }

  /** The volumes a Restore writes to, by tree name: its own targets, else the Backup's sources. */
  public static List<BackupSpec.FileVolume> targetFiles(Restore r, Backup backup) {
    Map<String, BackupSpec.FileVolume> out = new LinkedHashMap<>();
    if (backup != null && backup.getSpec().type != BackupSpec.Type.Database) {
      backup.getSpec().source.files.forEach(f -> out.put(f.name, f));
    }
    if (r.getSpec().target != null) r.getSpec().target.files.forEach(f -> out.put(f.name, f));
    if (!r.getSpec().trees.isEmpty()) out.keySet().retainAll(r.getSpec().trees);
    return new ArrayList<>(out.values());
  }

  /** The engine's only writable place besides its volumes: the root file system is read-only. */
  private static Volume tmpVolume() {
    return new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build();
  }

  /** The labels of a Job and its pod: who manages it, whose it is, what for, which attempt. */
  private static Map<String, String> labels(String ownerLabel, HasMetadata owner, String purpose, Object attempt) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_MANAGED_BY, MANAGER);
    labels.put(ownerLabel, owner.getMetadata().getName());
    labels.put(LABEL_PURPOSE, purpose);
    labels.put(LABEL_ATTEMPT, String.valueOf(attempt));
    return labels;
  }

  private static void storage(BackupSpec.StorageSpec st, List<String> args, List<EnvVar> env, List<Volume> volumes,
      List<VolumeMount> mounts) {
    storage(st, args, env, volumes, mounts, false);
  }

  /** {@code readOnly}: a volume storage is mounted read-only (the Job only reads it). */
  private static void storage(BackupSpec.StorageSpec st, List<String> args, List<EnvVar> env, List<Volume> volumes,
      List<VolumeMount> mounts, boolean readOnly) {
    if (st.s3 != null) {
      String prefix = st.s3.prefix == null ? "" : "/" + st.s3.prefix.replaceAll("^/+|/+$", "");
      args.addAll(List.of("--storage", "s3://" + st.s3.bucket + prefix));
      if (st.s3.endpoint != null) args.addAll(List.of("--s3-endpoint", st.s3.endpoint));
      if (st.s3.region != null) args.addAll(List.of("--s3-region", st.s3.region));
      if (st.s3.caSecret != null) {
        secretFile("s3-ca", st.s3.caSecret, volumes, mounts);
        args.addAll(List.of("--s3-ca-file", SECRETS_ROOT + "s3-ca/value"));
      }
      env.add(secretEnv("AWS_ACCESS_KEY_ID", new KeyRef(st.s3.credentialsSecret, "AWS_ACCESS_KEY_ID")));
      env.add(secretEnv("AWS_SECRET_ACCESS_KEY", new KeyRef(st.s3.credentialsSecret, "AWS_SECRET_ACCESS_KEY")));
    } else {
      volumes.add(new VolumeBuilder().withName("storage").withNewPersistentVolumeClaim(st.volume.claimName, readOnly).build());
      mounts.add(mount("storage", STORAGE_ROOT, readOnly));
      String path = st.volume.path == null ? "" : "/" + st.volume.path.replaceAll("^/+|/+$", "");
      args.addAll(List.of("--storage", "file://" + STORAGE_ROOT + path));
    }
  }

  /**
   * The engine's default resources, from measurements in the image (e2e/bench/image-memory.sh: a 700 MB files backup
   * peaks at 194 MiB RSS in a 256 MiB limit, 2 GB at 203 MiB, 1M documents at 141 MiB): memory requested as much as its limit, so a
   * Job pod is never BestEffort and is not the first evicted; CPU requested, not limited (the engine is compression
   * and encryption bound: a limit only throttles it).
   */
  public static final Map<String, Quantity> DEFAULT_REQUESTS = Map.of("cpu", new Quantity("250m"), "memory", new Quantity("384Mi"));
  public static final Map<String, Quantity> DEFAULT_LIMITS = Map.of("memory", new Quantity("384Mi"));
  /** Restores and verifications that decrypt with a passphrase: a heap of 320 MiB holds scrypt's 256 MiB at age's default cost. */
  public static final Quantity PASSPHRASE_MEMORY = new Quantity("640Mi");

  /**
   * {@code spec.podTemplate.resources} over the defaults: its requests replace the default ones key by key; its
   * limits, if it gives any, replace the default limits; a default limit below a request it gives is raised to it.
   */
  static ResourceRequirements resources(ResourceRequirements given, boolean passphraseDecryption) {
    Map<String, Quantity> requests = new LinkedHashMap<>(DEFAULT_REQUESTS);
    Map<String, Quantity> limits = new LinkedHashMap<>(DEFAULT_LIMITS);
    if (passphraseDecryption) {
      requests.put("memory", PASSPHRASE_MEMORY);
      limits.put("memory", PASSPHRASE_MEMORY);
    }
    if (given != null && given.getRequests() != null) requests.putAll(given.getRequests());
    if (given != null && given.getLimits() != null && !given.getLimits().isEmpty()) {
      limits = new LinkedHashMap<>(given.getLimits());
      // as the API server does: a limit without a request requests the limit
      for (var l : limits.entrySet()) {
        if (given.getRequests() == null || !given.getRequests().containsKey(l.getKey())) requests.put(l.getKey(), l.getValue());
      }
    } else {
      for (var l : limits.entrySet()) {
        Quantity request = requests.get(l.getKey());
        if (request != null && Quantity.getAmountInBytes(request).compareTo(Quantity.getAmountInBytes(l.getValue())) > 0) l.setValue(request);
      }
    }
    return new ResourceRequirementsBuilder().withRequests(new java.util.TreeMap<>(requests)).withLimits(new java.util.TreeMap<>(limits)).build();
  }

  private static Job job(HasMetadata owner, String name, Map<String, String> labels, Map<String, String> annotations, List<String> args, List<EnvVar> env,
      List<Volume> volumes, List<VolumeMount> mounts, PodTemplate t, Long deadline, Settings s) {
    Container c = new ContainerBuilder().withName("engine").withImage(s.image()).withImagePullPolicy(s.imagePullPolicy())
        .withArgs(args).withEnv(env).withVolumeMounts(mounts)
        .withTerminationMessagePath(TERMINATION_LOG).withTerminationMessagePolicy("FallbackToLogsOnError")
        .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true).withRunAsNonRoot(true)
        .withNewCapabilities().withDrop("ALL").endCapabilities().withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .endSecurityContext()
        // opening a passphrase archive may cost age's scrypt 256 MiB of heap (archives made by `age -p`)
        .withResources(resources(t != null ? t.resources : null, args.contains("--passphrase-file")
            && List.of("verify", "restore").contains(labels.get(LABEL_PURPOSE))))
        .build();
    PodSpecBuilder pod = new PodSpecBuilder().withRestartPolicy("Never").withAutomountServiceAccountToken(false)
        .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(65532L).withRunAsGroup(65532L).withFsGroup(65532L)
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext()
        .withContainers(c).withVolumes(volumes);
    if (t != null) {
      pod.withNodeSelector(t.nodeSelector).withTolerations(t.tolerations).withAffinity(t.affinity).withPriorityClassName(t.priorityClassName);
    }
    return new JobBuilder()
        .withNewMetadata().withName(name).withNamespace(owner.getMetadata().getNamespace()).withLabels(labels)
        .withAnnotations(annotations)
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(owner.getApiVersion()).withKind(owner.getKind())
            .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid()).withController(true)
            .withBlockOwnerDeletion(true).build())
        .endMetadata()
        .withNewSpec().withBackoffLimit(0).withActiveDeadlineSeconds(deadline).withTtlSecondsAfterFinished(7 * 24 * 3600)
        .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata().withSpec(pod.build()).endTemplate()
        .endSpec().build();
  }

  /** A Job's annotation, or null. */
  public static String annotation(Job job, String key) {
    return job.getMetadata().getAnnotations() == null ? null : job.getMetadata().getAnnotations().get(key);
  }

  /** A Job's attempt number (label coffer.io/attempt), 0 when it has none. */
  public static int attempt(Job job) {
    String a = job.getMetadata().getLabels() == null ? null : job.getMetadata().getLabels().get(LABEL_ATTEMPT);
    try {
      return a == null ? 0 : Integer.parseInt(a);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** A Job's purpose (label coffer.io/purpose): backup, verify, delete or restore. */
  public static String purpose(Job job) {
    return job.getMetadata().getLabels() == null ? null : job.getMetadata().getLabels().get(LABEL_PURPOSE);
  }

  private static VolumeMount mount(String name, String path, boolean readOnly) {
    return new VolumeMountBuilder().withName(name).withMountPath(path).withReadOnly(readOnly).build();
  }

  private static EnvVar secretEnv(String name, KeyRef ref) {
    return new EnvVarBuilder().withName(name).withNewValueFrom().withNewSecretKeyRef(ref.key, ref.name, false).endValueFrom().build();
  }

  private static void secretFile(String name, KeyRef ref, List<Volume> volumes, List<VolumeMount> mounts) {
    volumes.add(new VolumeBuilder().withName(name).withNewSecret().withSecretName(ref.name).withDefaultMode(0400)
        .addNewItem().withKey(ref.key).withPath("value").endItem().endSecret().build());
    mounts.add(mount(name, SECRETS_ROOT + name, true));
  }

  private static String sha(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
