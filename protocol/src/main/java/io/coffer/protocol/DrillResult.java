package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A drill that passed: which backup, the time to a usable copy ({@code rtoSeconds}: from the start
 * of the restore to every collection and file in place), what was restored and checked, and what
 * could not be compared ({@code notes}). A drill whose checks fail ends as a failure (exit 5)
 * naming the first differences.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DrillResult(
    String status,
    String backupId,
    double rtoSeconds,
    int collections,
    long documents,
    long files,
    int hashesCompared,
    int indexesCompared,
    List<String> notes,
    String message) {
  public static final String STATUS = "Passed";
}
