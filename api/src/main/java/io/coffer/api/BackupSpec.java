package io.coffer.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SelectableField;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/**
 * What to back up, where to, and how. A Backup is a request: its spec cannot change once created.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.type == 'Files' || self.type == 'Incremental' || has(self.source.mongodb)",
    message = "type Database and Full need source.mongodb")
@ValidationRule(
    value =
        "self.type == 'Database' || self.type == 'Incremental' || (has(self.source.files) && size(self.source.files) > 0)",
    message = "type Files and Full need at least one entry in source.files")
@ValidationRule(
    value =
        "self.type != 'Incremental' || has(self.source.mongodb) || (has(self.source.files) && size(self.source.files) > 0)",
    message =
        "type Incremental needs source.mongodb or source.files (the same as the backup it builds on)")
@ValidationRule(
    value = "self.type != 'Incremental' || has(self.chain)",
    message =
        "type Incremental needs chain.indexKeySecret (the same one as the backup it builds on)")
@ValidationRule(
    value = "!has(self.chain) || !has(self.chain.parent) || self.type == 'Incremental'",
    message = "chain.parent goes with type Incremental")
public class BackupSpec {
  public enum Type {
    Database,
    Files,
    Full,
    Incremental
  }

  /** What deleting the Backup does to what it stored. */
  public enum DeletionPolicy {
    Delete,
    Retain
  }

  @Required
  @SelectableField
  @JsonPropertyDescription(
      "Database (MongoDB only), Files (volumes only), Full (both), or Incremental (only what changed since the "
          + "backup it builds on, see chain). Selectable: kubectl get backups --field-selector spec.type=Incremental.")
  public Type type;

  @Required
  @JsonPropertyDescription("What to back up.")
  public Source source = new Source();

  @Required
  @JsonPropertyDescription("Where the backup is stored: an S3-compatible bucket or a volume.")
  public StorageSpec storage = new StorageSpec();

  @JsonPropertyDescription(
      "Further locations a copy goes to once the backup has succeeded (the 3-2-1 rule: another bucket, region or "
          + "endpoint, or a volume). A Job per copy streams the stored objects as they are (it needs no key and "
          + "decrypts nothing) and reads each back where it landed to check its SHA-256; status.copies says how "
          + "each went. Deleting the Backup deletes its copies with it (deletionPolicy Delete). At most 4.")
  @Size(max = 4)
  @ValidationRule(
      value = "self.all(c, self.exists_one(d, d.name == c.name))",
      message = "each copy needs its own name")
  public List<CopySpec> copies;

  @JsonPropertyDescription(
      "Encryption with age: to public keys (recipients) or with a passphrase. Without it the archive is not encrypted.")
  public EncryptionSpec encryption;

  @JsonPropertyDescription("Compression of the zip archive.")
  public CompressionSpec compression;

  @JsonPropertyDescription(
      "Incremental chains: a backup with chain.indexKeySecret can be built on by Incremental ones, which need it too.")
  public ChainSpec chain;

  /**
   * Retries of a failed attempt when the spec names none: the one place this default is written.
   */
  public static final int DEFAULT_BACKOFF_LIMIT = 2;

  @Min(0)
  @Max(10)
  @Default("" + DEFAULT_BACKOFF_LIMIT)
  @JsonPropertyDescription(
      "How many times a failed attempt is retried, with exponential back-off (10 s, 20 s, 40 s, ...).")
  public Integer backoffLimit = DEFAULT_BACKOFF_LIMIT;

  @Min(60)
  @JsonPropertyDescription("Seconds an attempt may run before it is stopped and counted as failed.")
  public Long activeDeadlineSeconds;

  @Pattern("^[0-9]+(m|h|d)$")
  @JsonPropertyDescription(
      "Delete this Backup (and its stored objects) this long after it completed, e.g. 30d, 12h, 90m.")
  public String ttl;

  @Default("Delete")
  @JsonPropertyDescription(
      "What deleting this Backup does to its stored objects: Delete (default) removes them first and keeps the "
          + "Backup until that succeeded; Retain leaves them in storage. The annotation coffer.io/deletion-policy (Delete or Retain) "
          + "overrides this at any time, also while a deletion is stuck: kubectl annotate backup NAME coffer.io/deletion-policy=Retain.")
  public DeletionPolicy deletionPolicy = DeletionPolicy.Delete;

  @JsonPropertyDescription("Resources and placement of the backup Job's pod.")
  public PodTemplate podTemplate;

  @JsonPropertyDescription(
      "How on-demand verification (annotation coffer.io/verify-requested) checks this backup.")
  public VerificationSpec verification;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ChainSpec {
    @Required
    @JsonPropertyDescription(
        "Secret key with the chain index key (a random secret, e.g. `openssl rand -base64 32`). Backup Jobs read the "
            + "index of earlier backups with it; it opens no backup, so public-key encryption keeps private keys out of backup Jobs.")
    public KeyRef indexKeySecret;

    @JsonPropertyDescription(
        "Incremental only: the Backup to build on (default: the newest Succeeded Backup with the same source, storage "
            + "and indexKeySecret).")
    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    public String parent;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.deep) || !self.deep || has(self.identity)",
      message =
          "deep verification needs verification.identity (a Secret key with an age identity) to decrypt")
  public static class VerificationSpec {
    @JsonPropertyDescription(
        "Decrypt and check every entry and document, not only the stored archive's checksum.")
    public Boolean deep;

    @JsonPropertyDescription(
        "Secret key with an age identity (or the passphrase, for passphrase backups) for deep verification.")
    public KeyRef identity;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Source {
    @JsonPropertyDescription("MongoDB to back up.")
    public MongoSource mongodb;

    @JsonPropertyDescription("File volumes to back up, each under a name.")
    public List<FileVolume> files = new ArrayList<>();

    @JsonPropertyDescription(
        "Only files whose relative path or name matches one of these globs, e.g. '**.pdf'.")
    public List<String> filesInclude = new ArrayList<>();

    @JsonPropertyDescription(
        "Leave out files and directories that match one of these globs, e.g. 'tmp'.")
    public List<String> filesExclude = new ArrayList<>();
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.modules) || size(self.modules) == 0 || has(self.moduleMap)",
      message = "modules need a moduleMap (a ConfigMap key holding the module map YAML)")
  public static class MongoSource {
    @Required
    @JsonPropertyDescription(
        "Secret key holding the MongoDB connection string (it may contain a password).")
    public KeyRef uriSecret;

    @JsonPropertyDescription(
        "Collections to take: patterns over db.collection with * and ?; a bare name is a whole database.")
    public List<@Pattern("^!?[^\\s$]+$") String> include = new ArrayList<>();

    @JsonPropertyDescription("Collections to leave out, same patterns.")
    public List<String> exclude = new ArrayList<>();

    @JsonPropertyDescription("Modules of the module map to take, e.g. [hr, finance].")
    public List<@Pattern("^[a-z0-9][a-z0-9_-]*$") String> modules = new ArrayList<>();

    @JsonPropertyDescription(
        "ConfigMap key holding the module map (modules: {hr: [erp.employees, ...]}).")
    public KeyRef moduleMap;

    @JsonPropertyDescription(
        "TLS to MongoDB with a private CA and/or a client certificate (the Java driver ignores tlsCAFile in the URI).")
    public MongoTls tls;
  }

  /** TLS to MongoDB: the CA that signed the server's certificate, the client's certificate. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "has(self.caSecret) || has(self.clientCertificateSecret)",
      message = "tls needs caSecret, clientCertificateSecret or both")
  public static class MongoTls {
    @JsonPropertyDescription(
        "Secret key with the PEM CA certificates that signed the server's certificate, e.g. {name: mongodb-tls, key:"
            + " ca.crt} of cert-manager (default: the JVM's trusted CAs). Setting tls turns TLS on.")
    public KeyRef caSecret;

    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    @Size(max = 253)
    @JsonPropertyDescription(
        "A kubernetes.io/tls Secret (tls.crt, tls.key; unencrypted PEM) with the client certificate, for a server"
            + " that requires one or for authMechanism=MONGODB-X509 in the URI.")
    public String clientCertificateSecret;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class FileVolume {
    @Required
    @Pattern("^[A-Za-z0-9][A-Za-z0-9._-]*$")
    @JsonPropertyDescription("Name of the tree in the archive (files/<name>/...).")
    public String name;

    @Required
    @JsonPropertyDescription("PersistentVolumeClaim holding the files; mounted read-only.")
    public String claimName;

    @JsonPropertyDescription("Folder inside the volume (default: its root).")
    public String subPath;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "has(self.s3) != has(self.volume)",
      message = "set exactly one of storage.s3 and storage.volume")
  public static class StorageSpec {
    @JsonPropertyDescription("An S3-compatible bucket (AWS S3, MinIO, Ceph, ...).")
    public S3 s3;

    @JsonPropertyDescription("A PersistentVolumeClaim.")
    public VolumeStorage volume;

    @JsonPropertyDescription(
        "Cap on the write rate to storage, in MiB/s, so a nightly backup does not saturate a shared link "
            + "(default: no cap).")
    @Min(1)
    @Max(10000)
    public Integer uploadLimitMiBps;
  }

  /** A further location for a copy of the backup. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class CopySpec {
    @Required
    @Pattern("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
    @Size(max = 32)
    @JsonPropertyDescription(
        "What status.copies and events call this copy, e.g. offsite (lower-case letters, digits, '-').")
    public String name;

    @Required
    @JsonPropertyDescription(
        "Where the copy goes: an S3-compatible bucket (its own endpoint, region and credentials) or a volume.")
    public StorageSpec storage = new StorageSpec();
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class S3 {
    @JsonPropertyDescription("Endpoint URL, e.g. http://minio.storage:9000 (default: AWS).")
    @Pattern("^https?://.+")
    public String endpoint;

    @Required
    @Pattern("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    @JsonPropertyDescription("Bucket name.")
    public String bucket;

    @JsonPropertyDescription("Prefix inside the bucket, e.g. rayerp/production.")
    public String prefix;

    @JsonPropertyDescription("Region, if the store needs one.")
    public String region;

    @Required
    @JsonPropertyDescription("Secret with keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
    public String credentialsSecret;

    @JsonPropertyDescription(
        "Secret key with PEM CA certificates, for an https endpoint with a private CA.")
    public KeyRef caSecret;

    @JsonPropertyDescription(
        "S3 Object Lock: once a backup is complete, each of its objects is retained (mode and days) so nobody can "
            + "delete or overwrite it before; the bucket must be made with Object Lock enabled, with no default "
            + "retention. Retention and deleting a Backup wait for the lock to expire.")
    public ObjectLockSpec objectLock;

    @JsonPropertyDescription(
        "Secret (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) used only to delete: retention and deleting a Backup. "
            + "With it, credentialsSecret (backup, copy and verification Jobs) needs no right to delete (default: "
            + "credentialsSecret does both).")
    public String deleteCredentialsSecret;
  }

  /** Object Lock for what each backup writes. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ObjectLockSpec {
    public enum Mode {
      Governance,
      Compliance
    }

    @Required
    @JsonPropertyDescription(
        "Compliance: nobody can shorten the lock or delete before it ends, not even the bucket's owner. Governance: "
            + "users with s3:BypassGovernanceRetention can.")
    public Mode mode;

    @Required
    @Min(1)
    @Max(36500)
    @JsonPropertyDescription("How many days after a backup completes its objects stay locked.")
    public Integer days;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class VolumeStorage {
    @Required
    @JsonPropertyDescription("PersistentVolumeClaim to write backups to.")
    public String claimName;

    @JsonPropertyDescription("Folder inside the volume (default: its root).")
    public String path;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "has(self.recipients) != has(self.passphraseSecret)",
      message = "set exactly one of encryption.recipients and encryption.passphraseSecret")
  public static class EncryptionSpec {
    @JsonPropertyDescription(
        "Secret key with age public keys (age1..., one per line). The backup Job needs no private key.")
    public KeyRef recipients;

    @JsonPropertyDescription("Secret key with a passphrase (scrypt).")
    public KeyRef passphraseSecret;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class CompressionSpec {
    public enum Method {
      deflate,
      store
    }

    @Default("deflate")
    @JsonPropertyDescription("deflate (default) or store (for data that does not compress).")
    public Method method = Method.deflate;

    @Min(1)
    @Max(9)
    @Default("1")
    @JsonPropertyDescription("Deflate level, 1 (fastest) to 9 (smallest).")
    public Integer level = 1;
  }
}
