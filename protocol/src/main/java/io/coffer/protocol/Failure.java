package io.coffer.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * What a failed engine run writes to its {@code --result-file} (a pod's termination message): the
 * exit code, its name, the one-line message, and whether another attempt could succeed (an
 * unreachable server may come back; a wrong key, bad input or damaged data never will).
 */
public record Failure(
    String status, int exitCode, String reason, String message, boolean permanent) {
  public static final String STATUS = "Failed";

  public static Failure of(ExitCode code, String message) {
    return new Failure(STATUS, code.code(), code.name(), message, code.permanent());
  }

  /** The exit code this failure names (INTERNAL when it names none Coffer knows). */
  @JsonIgnore
  public ExitCode code() {
    for (ExitCode c : ExitCode.values()) if (c.code() == exitCode) return c;
    return ExitCode.INTERNAL;
  }
}
