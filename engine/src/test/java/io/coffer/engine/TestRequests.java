package io.coffer.engine;

import io.coffer.protocol.BackupRequest;
import io.coffer.protocol.Request;
import java.util.List;

/** Backup requests the engine's tests make again and again: no encryption, defaults elsewhere. */
final class TestRequests {
  private TestRequests() {}

  /** A backup of the databases {@code include} and the file {@code trees}. */
  static BackupRequest backup(
      String id,
      String type,
      Request.StorageRef storage,
      List<String> include,
      List<Request.Tree> trees) {
    return backup(
        id,
        type,
        storage,
        new BackupRequest.Mongo(null, include, List.of(), List.of(), null, null),
        trees);
  }

  /** The same with the MongoDB part given whole (a timeout, TLS). */
  static BackupRequest backup(
      String id,
      String type,
      Request.StorageRef storage,
      BackupRequest.Mongo mongo,
      List<Request.Tree> trees) {
    return new BackupRequest(
        id,
        type,
        storage,
        mongo,
        trees,
        List.of(),
        List.of(),
        null,
        null,
        null,
        null,
        null,
        Request.Report.NONE);
  }
}
