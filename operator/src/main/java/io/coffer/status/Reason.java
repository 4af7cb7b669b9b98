package io.coffer.status;

/**
 * Reasons of events and conditions: one list, so both speak the same words. Each says what
 * happened, for whom: Backup and Restore ({@code JobCreated} .. {@code Failed}), a Backup's stored
 * objects ({@code Deleting} .. {@code Retained}), its verification, and a BackupSchedule's runs.
 */
public enum Reason {
  /** An attempt's Job was created. */
  JobCreated,
  /** The engine runs. */
  Running,
  Succeeded,
  /**
   * A backup succeeded, but its database part is not one moment of the source (a server without an
   * oplog): each collection is as it was when read. Status consistency says PerCollection and why.
   */
  NotPointInTime,
  /**
   * An attempt failed; another follows after back-off ({@link #RetryScheduled} is the condition
   * meanwhile).
   */
  AttemptFailed,
  RetryScheduled,
  /** The last attempt failed, or no attempt can help. */
  Failed,
  /**
   * The spec is valid for the API server but not usable (a time zone, a cron expression, a missing
   * parent).
   */
  InvalidSpec,
  /** Something else must happen first (a restore of the same target, a parent backup). */
  Waiting,
  /** A dry run finished: the plan is in the status. */
  Planned,
  /** The stored objects are being deleted (the Backup was deleted, or its ttl expired). */
  Deleting,
  DeleteFailed,
  Deleted,
  /** The Backup went and its stored objects stayed (deletion policy Retain). */
  Retained,
  /** Another Backup builds on this one: its stored objects stay until that one is deleted. */
  DeleteBlocked,
  Verifying,
  Verified,
  VerificationFailed,
  /** A copy of a Succeeded Backup (spec.copies) is being made, is there and checked, or failed. */
  Copying,
  Copied,
  CopyFailed,
  /** A copy failed its last attempt: the backup itself is fine, the copy is missing. */
  CopyGaveUp,
  /**
   * A download URL was asked for (annotation coffer.io/download-requested), made, or could not be.
   */
  Sharing,
  Shared,
  ShareFailed,
  /**
   * An upload (spec.source.upload): its URL was signed, the file announced, the staged file
   * removed, or one of these failed.
   */
  UploadReady,
  Uploaded,
  UploadRemoved,
  UploadFailed,
  /** A schedule created a Backup for a run. */
  BackupCreated,
  /** A schedule let a run pass (concurrency policy Forbid, a missed starting deadline). */
  RunSkipped,
  /** A schedule stopped a running Backup for the next run (concurrency policy Replace). */
  RunReplaced,
  /** Retention deleted a Backup. */
  Pruned,
  /** A schedule waits for its next run. */
  Scheduled,
  Suspended,
  /** A schedule's oplog archiver (spec.pointInTime) was created, replaced or removed. */
  ArchiverStarted,
  ArchiverReplaced,
  ArchiverStopped,
  /** The archiver reports no window yet, or its pod does not run. */
  ArchiverStarting,
  ArchiverNotReporting,
  /**
   * The oplog rolled over before the archiver read it: a stretch no restore can reach (an event for
   * each new gap; the window opens again with the next backup).
   */
  OplogGap,
  /** A restore drill (spec.drill) started, passed, or failed (the DrillFailed condition). */
  Drilling,
  DrillPassed,
  DrillFailed,
  /** PointInTimeReady: the window reaches recent enough (within spec.pointInTime.rpoTarget). */
  WithinRpo,
  RpoMissed,
  NoWindow
}
