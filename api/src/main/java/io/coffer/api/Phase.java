package io.coffer.api;

/**
 * The phase of a Backup (and of a Restore), for people; machines read the conditions.
 *
 * <pre>
 *   (new) -> Pending: the spec is accepted; the operator checks what only it can see, then creates the Job.
 *   Pending -> Running: the Job's pod runs the engine.
 *   Running -> Pending: the attempt failed and another is due after back-off (attempts < backoffLimit + 1).
 *   Running -> Succeeded: the engine reported a complete backup (terminal).
 *   Pending | Running -> Failed: invalid input, or the last attempt failed (terminal).
 * </pre>
 */
public enum Phase {
  Pending,
  Running,
  Succeeded,
  Failed;

  public boolean terminal() {
    return this == Succeeded || this == Failed;
  }
}
