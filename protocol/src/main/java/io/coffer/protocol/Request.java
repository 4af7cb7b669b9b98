package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * A Job's whole input, as one document: the operator writes it, the Job mounts it, {@code coffer
 * run --request FILE} reads it; a person's flags become the same records. It holds paths of mounted
 * secret files, never secret values. Every field has a stable path ({@link Field}) that a failure
 * can name.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = BackupRequest.class, name = "backup"),
  @JsonSubTypes.Type(value = RestoreRequest.class, name = "restore"),
  @JsonSubTypes.Type(value = VerifyRequest.class, name = "verify"),
  @JsonSubTypes.Type(value = ShareRequest.class, name = "share"),
  @JsonSubTypes.Type(value = UploadRequest.class, name = "upload"),
  @JsonSubTypes.Type(value = DeleteRequest.class, name = "delete"),
  @JsonSubTypes.Type(value = CopyRequest.class, name = "copy"),
  @JsonSubTypes.Type(value = DrillRequest.class, name = "drill"),
  @JsonSubTypes.Type(value = OplogArchiveRequest.class, name = "oplog-archive")
})
public sealed interface Request
    permits BackupRequest,
        RestoreRequest,
        VerifyRequest,
        ShareRequest,
        UploadRequest,
        DeleteRequest,
        CopyRequest,
        DrillRequest,
        OplogArchiveRequest {
  @JsonIgnore
  Purpose purpose();

  /** How the run reports: progress lines and where the result goes. */
  Report report();

  /**
   * Where backups live ({@link Field#STORAGE} and the {@code storage.s3.*} fields); null for a
   * restore from a file or a dump.
   */
  StorageRef storage();

  /**
   * {@code progress}: json, none or auto; {@code resultFile}: where the result (or the failure)
   * goes as JSON, or null.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Report(String progress, String resultFile) {
    public static final Report NONE = new Report("none", null);
  }

  /**
   * {@code uri}: {@code s3://bucket/prefix} or {@code file:///path}. Credentials and a CA are files
   * (mounted Secrets); where they are null the engine falls back to the environment ({@code
   * AWS_ACCESS_KEY_ID}, ...), as a person's shell sets it.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record StorageRef(String uri, S3 s3, Integer uploadLimitMiBps, ObjectLock objectLock) {
    public StorageRef(String uri) {
      this(uri, null, null, null);
    }

    public StorageRef(String uri, S3 s3, Integer uploadLimitMiBps) {
      this(uri, s3, uploadLimitMiBps, null);
    }
  }

  /**
   * S3 Object Lock for what a backup writes: {@code mode} GOVERNANCE or COMPLIANCE, each object
   * retained {@code days} after the backup completed.
   */
  record ObjectLock(String mode, int days) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  record S3(
      String endpoint,
      String region,
      String caFile,
      String accessKeyIdFile,
      String secretAccessKeyFile) {}

  /**
   * TLS to MongoDB with a private CA and/or a client certificate, each a PEM file: {@code caFile}
   * the certificates to trust (null: the JVM's trust store), {@code certificateFile} the client's
   * certificate chain, {@code keyFile} its private key (PKCS#8, PKCS#1 or SEC1; null: in {@code
   * certificateFile}, as {@code mongod --tlsCertificateKeyFile} takes it). Any of them turns TLS
   * on.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record MongoTls(String caFile, String certificateFile, String keyFile) {}

  /** An age identity file or a passphrase file that opens an encrypted backup. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Decryption(String identityFile, String passphraseFile) {}

  /** A named file tree and the directory it is read from (a backup) or written to (a restore). */
  record Tree(String name, String path) {}

  static <T> List<T> list(List<T> l) {
    return l == null ? List.of() : List.copyOf(l);
  }
}
