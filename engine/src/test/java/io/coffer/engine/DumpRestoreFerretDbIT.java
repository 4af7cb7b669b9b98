package io.coffer.engine;

import com.mongodb.client.MongoClients;
import io.coffer.testing.FerretDb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link DumpRestoreIT} on FerretDB v1.24.2 with SQLite (a second server's wire protocol and
 * command set): the same dumps, the same checks. Simulated as there: the dumps are written to
 * mongodump's format, not by mongodump.
 */
class DumpRestoreFerretDbIT extends DumpRestoreIT {
  static FerretDb ferret;

  @BeforeAll
  static void onFerretDb() throws Exception {
    client.close();
    server.shutdownNow();
    server = null; // a second shutdownNow of mongo-java-server waits forever
    ferret = FerretDb.start();
    uri = ferret.uri();
    client = MongoClients.create(uri);
  }

  @AfterAll
  static void stopFerretDb() {
    if (ferret != null) ferret.close();
  }
}
