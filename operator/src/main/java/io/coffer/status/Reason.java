package io.coffer.status;

/** Reasons of events and conditions: one list, so both speak the same words. */
public enum Reason {
  JobCreated, Running, Succeeded, AttemptFailed, RetryScheduled, Failed, InvalidSpec, ConfigurationError, Deleting, DeleteFailed, Deleted, Waiting, Planned, Verifying, Verified, VerificationFailed
}
