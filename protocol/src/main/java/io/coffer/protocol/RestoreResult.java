package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** What a restore did, or (dry run) would do. Also the {@code --result-file} content. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RestoreResult(
    String status,
    String backupId,
    String mode,
    boolean dryRun,
    double durationSeconds,
    int collections,
    long documents,
    long files,
    long bytes,
    List<Item> items,
    Consistency consistency,
    PointInTime pointInTime) {

  /** A result that says nothing of consistency (a files-only restore). */
  public RestoreResult(
      String status,
      String backupId,
      String mode,
      boolean dryRun,
      double durationSeconds,
      int collections,
      long documents,
      long files,
      long bytes,
      List<Item> items) {
    this(
        status,
        backupId,
        mode,
        dryRun,
        durationSeconds,
        collections,
        documents,
        files,
        bytes,
        items,
        null,
        null);
  }

  /**
   * A restore to a moment: the second asked for, the backup it started from, the archived oplog it
   * replayed on top (slices read, entries applied after the backup's own moment), and what the
   * replayed commands changed (collections created, dropped, renamed, changed; at most 20 lines and
   * a count).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PointInTime(
      String until, String base, int slices, long entries, List<String> changes) {}

  /**
   * One collection or file tree: source, target, what happens to the target. {@code loses}: what a
   * replace takes from the target that the backup does not hold (documents now in the collection,
   * entries of the folder).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Item(
      String kind,
      String source,
      String target,
      Long documents,
      Long files,
      long bytes,
      String action,
      Long loses) {
    public Item(
        String kind,
        String source,
        String target,
        Long documents,
        Long files,
        long bytes,
        String action) {
      this(kind, source, target, documents, files, bytes, action, null);
    }
  }
}
