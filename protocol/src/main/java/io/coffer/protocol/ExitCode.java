package io.coffer.protocol;

/**
 * Process exit codes of every {@code coffer} command; documented in the README and in {@code
 * --help}.
 */
public enum ExitCode {
  OK(0, "success"),
  INTERNAL(1, "unexpected internal error (a bug: please report it with the log)"),
  USAGE(2, "bad command line or input file"),
  SOURCE(3, "MongoDB or the file system is unreachable, refuses access, or failed"),
  STORAGE(4, "the storage location is unreachable, refuses access, or failed"),
  INTEGRITY(5, "the archive is damaged, truncated or does not match its checksums"),
  KEY(6, "missing or wrong key or passphrase"),
  NOT_FOUND(7, "no such backup, or the backup is incomplete"),
  BUSY(
      8,
      "another run is writing this backup id or restoring into this target; try again when it has finished");

  private final int code;
  private final String meaning;

  ExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  public int code() {
    return code;
  }

  public String meaning() {
    return meaning;
  }

  /**
   * Whether another attempt would fail the same way: bad input, a key that does not fit, damaged or
   * missing data.
   */
  public boolean permanent() {
    return this == USAGE || this == KEY || this == INTEGRITY || this == NOT_FOUND;
  }
}
