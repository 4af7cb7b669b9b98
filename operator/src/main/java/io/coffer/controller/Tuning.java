package io.coffer.controller;

import java.time.Duration;

/**
 * How often the controllers look again when no event comes: {@code retryBase} is the first back-off
 * after a failed attempt (doubled each time) and the step of a wait for another resource; {@code
 * progressEvery} how often a running Job's progress is read; {@code poll} the longest any resource
 * goes unlooked-at (a ttl, a schedule's next run).
 */
public record Tuning(Duration retryBase, Duration progressEvery, Duration poll) {
  /**
   * The back-off before attempt {@code failed + 1}: retryBase, doubled per failure, at most 32
   * times retryBase.
   */
  public Duration backoff(int failed) {
    return retryBase.multipliedBy(1L << Math.min(Math.max(failed - 1, 0), 5));
  }

  /** {@code d}, but no longer than {@link #poll}. */
  public Duration capped(Duration d) {
    return d.compareTo(poll) > 0 ? poll : d;
  }
}
