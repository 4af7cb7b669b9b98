package io.coffer.engine.crypto;

import java.io.IOException;

/**
 * An age file that cannot be opened: wrong key, wrong passphrase, damaged or truncated data.
 * Messages never contain key material.
 */
public class AgeException extends IOException {
  public enum Kind {
    NO_MATCHING_KEY,
    CORRUPT,
    BAD_INPUT
  }

  private final Kind kind;

  public AgeException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
