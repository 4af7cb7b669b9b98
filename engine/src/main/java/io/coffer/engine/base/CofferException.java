package io.coffer.engine.base;

import io.coffer.protocol.ExitCode;

/**
 * A failure with a category (the exit code) and a one-line message that says what is wrong and what
 * to do. Messages never carry secrets: callers pass redacted URIs and never key material.
 */
public class CofferException extends RuntimeException {
  private final ExitCode code;

  public CofferException(ExitCode code, String message) {
    super(message);
    this.code = code;
  }

  public CofferException(ExitCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ExitCode code() {
    return code;
  }

  public static CofferException usage(String message) {
    return new CofferException(ExitCode.USAGE, message);
  }
}
