package io.coffer.engine;

import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.coffer.testing.EmbeddedServers;
import org.junit.jupiter.api.BeforeAll;

/**
 * The same chains on a server that keeps an oplog: increments read only the documents the oplog
 * says were touched.
 */
class IncrementalOplogIT extends IncrementalIT {
  @BeforeAll
  static void withOplog() {
    client.close();
    server.shutdownNow();
    server = new MongoServer(new MemoryBackend());
    server.enableOplog();
    server.bind("127.0.0.1", 0);
    uri = EmbeddedServers.uri(server);
    client = MongoClients.create(uri);
  }

  @Override
  boolean oplog() {
    return true;
  }
}
