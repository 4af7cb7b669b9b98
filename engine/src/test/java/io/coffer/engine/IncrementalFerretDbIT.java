package io.coffer.engine;

import com.mongodb.client.MongoClients;
import io.coffer.testing.FerretDb;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The same chains on FerretDB v1.24.2 with SQLite (a real second server: its wire protocol and
 * command set, no oplog), so increments, deltas of the chain index and restores of each point do
 * not rest on mongo-java-server's quirks.
 */
class IncrementalFerretDbIT extends IncrementalIT {
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

  /** FerretDB 1.x has no Decimal128: inserting one ends the connection (see docs/servers.md). */
  @Override
  Object amount() {
    return 12.5;
  }

  @AfterAll
  static void stopFerretDb() {
    if (ferret != null) ferret.close();
  }
}
