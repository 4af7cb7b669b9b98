package io.coffer.job;

import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupSpec;
import io.coffer.api.KeyRef;
import io.coffer.api.PodTemplate;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.api.RestoreStatus;
import io.coffer.protocol.Protocol;
import io.coffer.protocol.Purpose;
import io.coffer.protocol.Request;
import io.coffer.protocol.RestoreRequest;
import io.coffer.protocol.ShareRequest;
import io.coffer.protocol.VerifyRequest;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one place that turns a resource into a Job: names, labels, the request document its engine
 * runs (made by {@link Requests}), secrets as mounted files (the operator never reads them),
 * volumes, and a pod that meets the "restricted" Pod Security profile with no service-account
 * token. Pure: same input, same Job.
 */
public final class JobFactory {
  public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String MANAGER = "coffer";
  public static final String LABEL_BACKUP = "coffer.io/backup";
  public static final String LABEL_RESTORE = "coffer.io/restore";
  public static final String LABEL_ATTEMPT = "coffer.io/attempt";
  public static final String LABEL_PURPOSE = "coffer.io/purpose";

  /**
   * On every Job: the id of the backup in storage it works on (an annotation: ids can be longer
   * than label values).
   */
  public static final String ANNOTATION_BACKUP_ID = "coffer.io/backup-id";

  /**
   * On an Incremental Backup's Jobs: the id of the backup it builds on. Retries and a restarted
   * operator read it back.
   */
  public static final String ANNOTATION_PARENT_ID = "coffer.io/parent-backup-id";

  /**
   * On a Job's pod: the request document its engine runs (mounted as a file through the downward
   * API).
   */
  public static final String ANNOTATION_REQUEST = "coffer.io/request";

  static final String REQUEST_ROOT = "/etc/coffer/request";
  static final String REQUEST_NAME = "request.json";

  /** What every Job's container runs: the request document, nothing else on the command line. */
  static final List<String> RUN = List.of("run", "--request", REQUEST_ROOT + "/" + REQUEST_NAME);

  /** Operator settings that shape Jobs. */
  public record Settings(
      String image, String imagePullPolicy, int downloadPort, byte[] downloadKey) {
    /** The port a served download listens on in its pod by default (a volume's backups). */
    public static final int DOWNLOAD_PORT = 8080;

    public Settings(String image, String imagePullPolicy) {
      this(image, imagePullPolicy, DOWNLOAD_PORT);
    }

    /** With a key of its own for the tokens of served downloads (random, this process's). */
    public Settings(String image, String imagePullPolicy, int downloadPort) {
      this(image, imagePullPolicy, downloadPort, randomKey());
    }

    private static byte[] randomKey() {
      byte[] k = new byte[32];
      new java.security.SecureRandom().nextBytes(k);
      return k;
    }

    /**
     * The token of a served download: an HMAC of what it serves under this process's key, so it is
     * not guessable from the Backup, yet the decider stays a function of its inputs (the Job keeps
     * the token in its request for later looks).
     */
    public String downloadToken(String what) {
      try {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(downloadKey, "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(what.getBytes(StandardCharsets.UTF_8)));
      } catch (java.security.GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Settings x
          && image.equals(x.image)
          && java.util.Objects.equals(imagePullPolicy, x.imagePullPolicy)
          && downloadPort == x.downloadPort
          && java.util.Arrays.equals(downloadKey, x.downloadKey);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(image, imagePullPolicy, downloadPort);
    }

    @Override
    public String toString() {
      return "Settings[image="
          + image
          + ", pull="
          + imagePullPolicy
          + ", downloadPort="
          + downloadPort
          + "]";
    }
  }

  private JobFactory() {}

  /**
   * The id of a Backup's archive in storage: its name and the start of its uid, unique even if the
   * name is reused.
   */
  public static String backupId(Backup b) {
    String uid =
        b.getMetadata().getUid() == null ? "0000000" : b.getMetadata().getUid().replace("-", "");
    return b.getMetadata().getName() + "-" + uid.substring(0, Math.min(8, uid.length()));
  }

  /**
   * {@code <name>-backup-<attempt>}, shortened with a hash to fit the 63 characters of a label
   * value.
   */
  public static String jobName(HasMetadata owner, String purpose, int attempt) {
    String base = owner.getMetadata().getName() + "-" + purpose + "-" + attempt;
    if (base.length() <= 63) return base;
    String hash = sha(base).substring(0, 8);
    return owner
            .getMetadata()
            .getName()
            .substring(0, 63 - purpose.length() - 12 - String.valueOf(attempt).length())
        + "-"
        + hash
        + "-"
        + purpose
        + "-"
        + attempt;
  }

  public static Job backupJob(Backup b, int attempt, Settings s) {
    return backupJob(b, attempt, s, null);
  }

  /** {@code parentId}: for an Incremental Backup, the backup id of the one it builds on. */
  public static Job backupJob(Backup b, int attempt, Settings s, String parentId) {
    if (b.getSpec().type == BackupSpec.Type.Incremental && parentId == null) {
      throw new IllegalArgumentException(
          "an Incremental Backup's Job needs the parent's backup id");
    }
    Map<String, String> annotations =
        new LinkedHashMap<>(Map.of(ANNOTATION_BACKUP_ID, backupId(b)));
    if (parentId != null) annotations.put(ANNOTATION_PARENT_ID, parentId);
    return job(
        b,
        LABEL_BACKUP,
        Purpose.BACKUP,
        attempt,
        Requests.backup(b, parentId),
        annotations,
        b.getSpec().podTemplate,
        b.getSpec().activeDeadlineSeconds,
        s);
  }

  /**
   * A Job running {@code coffer verify}: the checksum, or with {@code deep} every entry (needs the
   * identity Secret).
   */
  public static Job verifyJob(Backup b, int n, boolean deep, Settings s) {
    return job(
        b,
        LABEL_BACKUP,
        Purpose.VERIFY,
        n,
        Requests.verify(b, deep),
        Map.of(ANNOTATION_BACKUP_ID, backupId(b)),
        b.getSpec().podTemplate,
        null,
        s);
  }

  /**
   * A Job running {@code coffer share}: a presigned URL of the stored archive, valid {@code
   * minutes}; storage access only.
   */
  public static Job shareJob(Backup b, int n, int minutes, Settings s) {
    if (b.getSpec().storage.s3 != null)
      return job(
          b,
          LABEL_BACKUP,
          Purpose.SHARE,
          n,
          Requests.share(b, minutes, null),
          Map.of(ANNOTATION_BACKUP_ID, backupId(b)),
          b.getSpec().podTemplate,
          300L,
          s);
    // a volume has no URL to sign: the pod serves the archive itself for the download's lifetime
    ShareRequest.Serve serve =
        new ShareRequest.Serve(
            s.downloadPort(),
            s.downloadToken(b.getMetadata().getUid() + "/" + backupId(b) + "/share/" + n));
    Job job =
        job(
            b,
            LABEL_BACKUP,
            Purpose.SHARE,
            n,
            Requests.share(b, minutes, serve),
            Map.of(ANNOTATION_BACKUP_ID, backupId(b)),
            b.getSpec().podTemplate,
            // the engine's own clock starts with its pod; downloads under way may finish after
            minutes * 60L + ArchiveGrace.SECONDS,
            s);
    var c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
    c.setPorts(
        List.of(
            new io.fabric8.kubernetes.api.model.ContainerPortBuilder()
                .withName("download")
                .withContainerPort(s.downloadPort())
                .build()));
    c.setReadinessProbe(
        new io.fabric8.kubernetes.api.model.ProbeBuilder()
            .withNewHttpGet()
            .withPath("/healthz")
            .withNewPort(s.downloadPort())
            .endHttpGet()
            .withPeriodSeconds(2)
            .build());
    return job;
  }

  /**
   * How long after its time a served download's pod may go on: its start (an image pull) and
   * downloads under way when the time ran out, which finish.
   */
  static final class ArchiveGrace {
    static final long SECONDS = 900;

    private ArchiveGrace() {}
  }

  /** The token a served download's Job carries in its request, or null. */
  public static String downloadToken(Job job) {
    Request r = request(job);
    return r instanceof ShareRequest sr && sr.serve() != null ? sr.serve().token() : null;
  }

  /** The port a served download's Job listens on, as its request says (0: none). */
  public static int downloadPort(Job job) {
    Request r = request(job);
    return r instanceof ShareRequest sr && sr.serve() != null ? sr.serve().port() : 0;
  }

  /**
   * A Job that deletes the Backup's objects from storage ({@code coffer delete}); needs storage
   * access only.
   */
  public static Job deleteJob(Backup b, int attempt, Settings s) {
    return job(
        b,
        LABEL_BACKUP,
        Purpose.DELETE,
        attempt,
        Requests.delete(b),
        Map.of(ANNOTATION_BACKUP_ID, backupId(b)),
        b.getSpec().podTemplate,
        600L,
        s);
  }

  /**
   * A Job running {@code coffer drill} for a schedule's {@code spec.drill} (the {@code n}th drill):
   * the newest backup restored into scratch databases, checked, dropped; {@code
   * <schedule>-drill-<n>}.
   */
  public static Job drillJob(BackupSchedule schedule, String ownerLabel, int n, Settings s) {
    return job(
        schedule,
        ownerLabel,
        Purpose.DRILL,
        n,
        Requests.drill(schedule),
        Map.of(),
        schedule.getSpec().template.podTemplate,
        schedule.getSpec().template.activeDeadlineSeconds,
        s);
  }

  /** The label of a copy Job: which of the Backup's copies it makes. */
  public static final String LABEL_COPY = "coffer.io/copy";

  /**
   * A Job copying the Backup's stored objects to its copy {@code index} ({@code coffer copy}):
   * storage access only, no key; {@code <name>-copy-<copy>-<attempt>}.
   */
  public static Job copyJob(Backup b, int index, int attempt, Settings s) {
    String name = b.getSpec().copies.get(index).name;
    return job(
        b,
        LABEL_BACKUP,
        Purpose.COPY,
        attempt,
        Requests.copy(b, index),
        Map.of(ANNOTATION_BACKUP_ID, backupId(b)),
        b.getSpec().podTemplate,
        b.getSpec().activeDeadlineSeconds,
        s,
        name);
  }

  /**
   * A Job running {@code coffer restore}. {@code backup} is the Backup named by the Restore, or
   * null for a restore from a storage location (disaster recovery); targets default to the Backup's
   * sources.
   */
  public static Job restoreJob(Restore r, Backup backup, Settings s) {
    return restoreJob(r, backup, s, null);
  }

  /** {@code upload}: the file an upload staged (spec.source.upload), or null. */
  public static Job restoreJob(Restore r, Backup backup, Settings s, RestoreStatus.Upload upload) {
    Requests.Mapped m = Requests.restore(r, backup, upload);
    String id =
        ((RestoreRequest) m.request())
            .source()
            .backupId(); // an archive file names its backup only in the engine's result
    return job(
        r,
        LABEL_RESTORE,
        Purpose.RESTORE,
        1,
        m,
        id == null ? Map.of() : Map.of(ANNOTATION_BACKUP_ID, id),
        r.getSpec().podTemplate,
        null,
        s);
  }

  /** The attempt number of an upload's signing Job ({@code <restore>-upload-1}). */
  public static final int UPLOAD_SIGN = 1;

  /** The attempt number of an upload's removal Job ({@code <restore>-upload-2}). */
  public static final int UPLOAD_REMOVE = 2;

  /**
   * A Job for Restore {@code r}'s upload (spec.source.upload): the presigned PUT of {@code key}, or
   * with {@code remove} its removal; storage access only, five minutes at most.
   */
  public static Job uploadJob(Restore r, String key, boolean remove, Settings s) {
    return job(
        r,
        LABEL_RESTORE,
        Purpose.UPLOAD,
        remove ? UPLOAD_REMOVE : UPLOAD_SIGN,
        Requests.upload(r, key, remove),
        Map.of(),
        r.getSpec().podTemplate,
        300L,
        s);
  }

  /** The request a Job carries (its pod's annotation), or null when it carries none. */
  public static Request request(Job job) {
    var meta = job.getSpec().getTemplate().getMetadata();
    String json =
        meta == null || meta.getAnnotations() == null
            ? null
            : meta.getAnnotations().get(ANNOTATION_REQUEST);
    return json == null ? null : Protocol.request(json);
  }

  /** The MongoDB a Restore writes to: its own target, else the Backup's source. */
  public static KeyRef targetUri(Restore r, Backup backup) {
    RestoreSpec spec = r.getSpec();
    if (spec.target != null && spec.target.mongodb != null && spec.target.mongodb.uriSecret != null)
      return spec.target.mongodb.uriSecret;
    return backup != null && backup.getSpec().source.mongodb != null
        ? backup.getSpec().source.mongodb.uriSecret
        : null;
  }

  /** The TLS of the MongoDB a Restore writes to: its own target's, else the Backup's source's. */
  public static BackupSpec.MongoTls targetTls(Restore r, Backup backup) {
    RestoreSpec spec = r.getSpec();
    if (spec.target != null && spec.target.mongodb != null && spec.target.mongodb.uriSecret != null)
      return spec.target.mongodb.tls;
    return backup != null && backup.getSpec().source.mongodb != null
        ? backup.getSpec().source.mongodb.tls
        : null;
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

  /** The labels of a Job and its pod: who manages it, whose it is, what for, which attempt. */
  private static Map<String, String> labels(
      String ownerLabel, HasMetadata owner, String purpose, Object attempt) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_MANAGED_BY, MANAGER);
    labels.put(ownerLabel, owner.getMetadata().getName());
    labels.put(LABEL_PURPOSE, purpose);
    labels.put(LABEL_ATTEMPT, String.valueOf(attempt));
    return labels;
  }

  /**
   * The engine's default resources, from measurements in the image (e2e/bench/image-memory.sh: a
   * 700 MB files backup peaks at 194 MiB RSS in a 256 MiB limit, 2 GB at 203 MiB, 1M documents at
   * 141 MiB): memory requested as much as its limit, so a Job pod is never BestEffort and is not
   * the first evicted; CPU requested, not limited (the engine is compression and encryption bound:
   * a limit only throttles it).
   */
  public static final Map<String, Quantity> DEFAULT_REQUESTS =
      Map.of("cpu", new Quantity("250m"), "memory", new Quantity("384Mi"));

  public static final Map<String, Quantity> DEFAULT_LIMITS =
      Map.of("memory", new Quantity("384Mi"));

  /**
   * Restores and verifications that decrypt with a passphrase: a heap of 320 MiB holds scrypt's 256
   * MiB at age's default cost.
   */
  public static final Quantity PASSPHRASE_MEMORY = new Quantity("640Mi");

  /**
   * {@code spec.podTemplate.resources} over the defaults: its requests replace the default ones key
   * by key; its limits, if it gives any, replace the default limits; a default limit below a
   * request it gives is raised to it.
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
        if (given.getRequests() == null || !given.getRequests().containsKey(l.getKey()))
          requests.put(l.getKey(), l.getValue());
      }
    } else {
      for (var l : limits.entrySet()) {
        Quantity request = requests.get(l.getKey());
        if (request != null
            && Quantity.getAmountInBytes(request).compareTo(Quantity.getAmountInBytes(l.getValue()))
                > 0) l.setValue(request);
      }
    }
    return new ResourceRequirementsBuilder()
        .withRequests(new TreeMap<>(requests))
        .withLimits(new TreeMap<>(limits))
        .build();
  }

  /**
   * The Job: the engine runs {@code coffer run --request FILE} on the request document, which the
   * pod mounts from its own annotation (the downward API), beside the volumes the request's paths
   * need.
   */
  private static Job job(
      HasMetadata owner,
      String ownerLabel,
      Purpose purpose,
      int attempt,
      Requests.Mapped m,
      Map<String, String> annotations,
      PodTemplate t,
      Long deadline,
      Settings s) {
    return job(owner, ownerLabel, purpose, attempt, m, annotations, t, deadline, s, null);
  }

  /** {@code copy}: the name of the copy a copy Job makes (in its name and a label), or null. */
  private static Job job(
      HasMetadata owner,
      String ownerLabel,
      Purpose purpose,
      int attempt,
      Requests.Mapped m,
      Map<String, String> annotations,
      PodTemplate t,
      Long deadline,
      Settings s,
      String copy) {
    Map<String, String> labels =
        labels(ownerLabel, owner, purpose.label(), String.valueOf(attempt));
    if (copy != null) labels.put(LABEL_COPY, copy);
    String kind = copy == null ? purpose.label() : purpose.label() + "-" + copy;
    return new JobBuilder()
        .withNewMetadata()
        .withName(jobName(owner, kind, attempt))
        .withNamespace(owner.getMetadata().getNamespace())
        .withLabels(labels)
        .withAnnotations(annotations)
        .withOwnerReferences(owner(owner))
        .endMetadata()
        .withNewSpec()
        .withBackoffLimit(0)
        .withActiveDeadlineSeconds(deadline)
        .withTtlSecondsAfterFinished(7 * 24 * 3600)
        .withTemplate(pod(labels, m, t, "Never", s))
        .endSpec()
        .build();
  }

  private static OwnerReference owner(HasMetadata owner) {
    return new OwnerReferenceBuilder()
        .withApiVersion(owner.getApiVersion())
        .withKind(owner.getKind())
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  /** The annotation on an archiver's Deployment: a hash of its pod, to tell a changed spec. */
  public static final String ANNOTATION_POD_HASH = "coffer.io/pod-hash";

  /** The label value of an archiver's purpose (its Deployment and pod). */
  public static final String ARCHIVER = Purpose.OPLOG_ARCHIVE.label();

  /**
   * A schedule's oplog archiver ({@code spec.pointInTime}): a Deployment of one replica, replaced
   * (never rolled: the old pod ends before the new one starts) when its pod changes, whose pod runs
   * {@code coffer run} on the archiver's request, with the Job pods' security and no token. SIGTERM
   * makes it write its open slice: the grace period leaves it the time.
   */
  public static Deployment archiver(BackupSchedule schedule, String ownerLabel, Settings s) {
    Requests.Mapped m = Requests.oplogArchive(schedule);
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_MANAGED_BY, MANAGER);
    labels.put(ownerLabel, schedule.getMetadata().getName());
    labels.put(LABEL_PURPOSE, ARCHIVER);
    PodTemplateSpec pod = pod(labels, m, schedule.getSpec().template.podTemplate, "Always", s);
    pod.getSpec().setTerminationGracePeriodSeconds(60L);
    String hash = sha(Protocol.write(m.request()) + "|" + pod).substring(0, 16);
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(jobName(schedule, ARCHIVER, 0).replaceFirst("-0$", ""))
        .withNamespace(schedule.getMetadata().getNamespace())
        .withLabels(labels)
        .withAnnotations(Map.of(ANNOTATION_POD_HASH, hash))
        .withOwnerReferences(owner(schedule))
        .endMetadata()
        .withNewSpec()
        .withReplicas(1)
        .withNewSelector()
        .withMatchLabels(labels)
        .endSelector()
        .withNewStrategy()
        .withType("Recreate")
        .endStrategy()
        .withTemplate(pod)
        .endSpec()
        .build();
  }

  /**
   * A pod that runs {@code coffer run --request FILE} on the request document, which it mounts from
   * its own annotation (the downward API), beside the volumes the request's paths need.
   */
  private static PodTemplateSpec pod(
      Map<String, String> labels, Requests.Mapped m, PodTemplate t, String restart, Settings s) {
    List<Volume> volumes = new ArrayList<>(m.volumes());
    volumes.add(
        new VolumeBuilder()
            .withName("request")
            .withNewDownwardAPI()
            .withDefaultMode(0444)
            .addNewItem()
            .withPath(REQUEST_NAME)
            .withNewFieldRef()
            .withFieldPath("metadata.annotations['" + ANNOTATION_REQUEST + "']")
            .endFieldRef()
            .endItem()
            .endDownwardAPI()
            .build());
    List<VolumeMount> mounts = new ArrayList<>(m.mounts());
    mounts.add(Mounts.mount("request", REQUEST_ROOT, true));
    Container c =
        new ContainerBuilder()
            .withName("engine")
            .withImage(s.image())
            .withImagePullPolicy(s.imagePullPolicy())
            .withArgs(RUN)
            .withVolumeMounts(mounts)
            .withTerminationMessagePath(Requests.TERMINATION_LOG)
            .withTerminationMessagePolicy("FallbackToLogsOnError")
            .withNewSecurityContext()
            .withAllowPrivilegeEscalation(false)
            .withReadOnlyRootFilesystem(true)
            .withRunAsNonRoot(true)
            .withNewCapabilities()
            .withDrop("ALL")
            .endCapabilities()
            .withNewSeccompProfile()
            .withType("RuntimeDefault")
            .endSeccompProfile()
            .endSecurityContext()
            // opening a passphrase archive may cost age's scrypt 256 MiB of heap (archives made by
            // `age -p`)
            .withResources(
                resources(t != null ? t.resources : null, decryptsWithPassphrase(m.request())))
            .build();
    PodSpecBuilder pod =
        new PodSpecBuilder()
            .withRestartPolicy(restart)
            .withAutomountServiceAccountToken(false)
            .withNewSecurityContext()
            .withRunAsNonRoot(true)
            .withRunAsUser(65532L)
            .withRunAsGroup(65532L)
            .withFsGroup(65532L)
            .withNewSeccompProfile()
            .withType("RuntimeDefault")
            .endSeccompProfile()
            .endSecurityContext()
            .withContainers(c)
            .withVolumes(volumes);
    if (t != null) {
      pod.withNodeSelector(t.nodeSelector)
          .withTolerations(t.tolerations)
          .withAffinity(t.affinity)
          .withPriorityClassName(t.priorityClassName);
    }
    return new PodTemplateSpecBuilder()
        .withNewMetadata()
        .withLabels(labels)
        .withAnnotations(Map.of(ANNOTATION_REQUEST, Protocol.write(m.request())))
        .endMetadata()
        .withSpec(pod.build())
        .build();
  }

  /** Restores and verifications that open a passphrase archive: age's scrypt needs the memory. */
  private static boolean decryptsWithPassphrase(Request r) {
    Request.Decryption d =
        r instanceof RestoreRequest rr
            ? rr.decryption()
            : r instanceof VerifyRequest v ? v.decryption() : null;
    return d != null && d.passphraseFile() != null;
  }

  /** A Job's annotation, or null. */
  public static String annotation(Job job, String key) {
    return job.getMetadata().getAnnotations() == null
        ? null
        : job.getMetadata().getAnnotations().get(key);
  }

  /** A Job's attempt number (label coffer.io/attempt), 0 when it has none. */
  public static int attempt(Job job) {
    String a =
        job.getMetadata().getLabels() == null
            ? null
            : job.getMetadata().getLabels().get(LABEL_ATTEMPT);
    try {
      return a == null ? 0 : Integer.parseInt(a);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** A Job's purpose (label coffer.io/purpose), or null for a Job that is not Coffer's. */
  public static Purpose purpose(Job job) {
    return job.getMetadata().getLabels() == null
        ? null
        : Purpose.byLabel(job.getMetadata().getLabels().get(LABEL_PURPOSE));
  }

  private static String sha(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
