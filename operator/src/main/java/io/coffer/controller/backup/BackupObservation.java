package io.coffer.controller.backup;

import io.coffer.api.Backup;
import io.coffer.api.Restore;
import io.coffer.job.JobFactory;
import io.coffer.protocol.Purpose;
import io.coffer.status.LogTail;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;

/**
 * What one look at a Backup sees, all from informer caches except the log: its Jobs (backup
 * attempts, verifications, deletions) and their pods, the log of the attempt that runs or just
 * ended (null when it cannot have changed, or cannot be read), the Backups of its namespace (chain
 * parents and children), and a Restore that writes to its source now (null if none).
 */
public record BackupObservation(
    List<Job> jobs, List<Pod> pods, LogTail.Parsed log, List<Backup> neighbours, Restore lockedBy) {
  public BackupObservation {
    jobs = List.copyOf(jobs);
    pods = List.copyOf(pods);
    neighbours = List.copyOf(neighbours);
  }

  /** The Job of this purpose and attempt, or null. */
  public Job job(Purpose purpose, int attempt) {
    return jobs.stream()
        .filter(j -> purpose == JobFactory.purpose(j) && JobFactory.attempt(j) == attempt)
        .findFirst()
        .orElse(null);
  }

  /** The highest attempt among the Jobs of this purpose (0: none). */
  public int lastAttempt(Purpose purpose) {
    return jobs.stream()
        .filter(j -> purpose == JobFactory.purpose(j))
        .mapToInt(JobFactory::attempt)
        .max()
        .orElse(0);
  }

  public Job named(String name) {
    return jobs.stream()
        .filter(j -> j.getMetadata().getName().equals(name))
        .findFirst()
        .orElse(null);
  }
}
