package io.coffer.engine.storage;

import io.coffer.engine.base.CofferException;
import io.coffer.protocol.ExitCode;

public class StorageException extends CofferException {
  private final boolean notFound;

  public StorageException(String message, Throwable cause) {
    super(ExitCode.STORAGE, message, cause);
    this.notFound = false;
  }

  private StorageException(String message, boolean notFound) {
    super(notFound ? ExitCode.NOT_FOUND : ExitCode.STORAGE, message);
    this.notFound = notFound;
  }

  public static StorageException notFound(String message) {
    return new StorageException(message, true);
  }

  public boolean isNotFound() {
    return notFound;
  }
}
