package io.coffer.engine;

import java.util.List;

/**
 * Asked, with what a replace would delete or replace, before a restore writes anything; false stops
 * the restore.
 */
@FunctionalInterface
public interface Confirmation {
  boolean confirm(List<String> losses);

  /** For callers that asked beforehand (the CLI's --yes, a Restore with confirm: true). */
  Confirmation GIVEN = losses -> true;
}
