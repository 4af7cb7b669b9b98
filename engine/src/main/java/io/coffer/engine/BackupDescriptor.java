package io.coffer.engine;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.coffer.protocol.Consistency;
import java.util.List;

/**
 * {@code backup.json}: the small unencrypted descriptor written last. A backup folder without it is
 * incomplete and every command treats it so. It carries no secret: recipients are public keys.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BackupDescriptor(
    String format,
    int formatVersion,
    String id,
    String createdAt,
    String completedAt,
    String type,
    String archive,
    long storedSize,
    String sha256,
    long rawSize,
    boolean encrypted,
    String encryption,
    List<String> recipients,
    String manifest,
    String manifestSha256,
    int collections,
    long documents,
    long files,
    int skipped,
    String tool,
    String parent,
    String index,
    Consistency consistency) {

  /** A descriptor without consistency (files only, or written before it was recorded). */
  public BackupDescriptor(
      String format,
      int formatVersion,
      String id,
      String createdAt,
      String completedAt,
      String type,
      String archive,
      long storedSize,
      String sha256,
      long rawSize,
      boolean encrypted,
      String encryption,
      List<String> recipients,
      String manifest,
      String manifestSha256,
      int collections,
      long documents,
      long files,
      int skipped,
      String tool,
      String parent,
      String index) {
    this(
        format,
        formatVersion,
        id,
        createdAt,
        completedAt,
        type,
        archive,
        storedSize,
        sha256,
        rawSize,
        encrypted,
        encryption,
        recipients,
        manifest,
        manifestSha256,
        collections,
        documents,
        files,
        skipped,
        tool,
        parent,
        index,
        null);
  }

  public static final String FORMAT = "coffer-backup";
  public static final String FILE = "backup.json";
  public static final String LOG = "backup.log";
}
