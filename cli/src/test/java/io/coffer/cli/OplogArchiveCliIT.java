package io.coffer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.coffer.engine.Engine;
import io.coffer.testing.Cli;
import io.coffer.testing.EmbeddedServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The oplog archiver and a restore to a moment from a terminal: {@code coffer oplog-archive} as a
 * separate process writing to S3 (S3Proxy) from mongo-java-server with its oplog on (it stands in
 * for a replica set: real driver, real wire protocol), stopped by SIGTERM, then {@code coffer list}
 * and {@code coffer restore --until}. Simulated: the replica set (one in-memory server), S3.
 */
class OplogArchiveCliIT {
  static MongoServer mongo;
  static S3Proxy s3;
  static MongoClient client;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    mongo = new MongoServer(new MemoryBackend());
    mongo.enableOplog();
    mongo.bind("127.0.0.1", 0);
    client = MongoClients.create(EmbeddedServers.uri(mongo));
    s3 = EmbeddedServers.s3();
    EmbeddedServers.makeBucket(s3, "backups");
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    mongo.shutdownNow();
    s3.stop();
  }

  static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_ACCESS_KEY_ID", EmbeddedServers.ACCESS_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", EmbeddedServers.SECRET_KEY);
    env.put("COFFER_S3_ENDPOINT", EmbeddedServers.endpoint(s3));
    env.put("COFFER_MONGODB_URI", EmbeddedServers.uri(mongo));
    return env;
  }

  static Instant nextSecond() throws InterruptedException {
    Instant now = Instant.now();
    Instant next = now.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    Thread.sleep(Duration.between(now, next).toMillis() + 20);
    return next;
  }

  @Test
  void givenAnArchiverStoppedBySigterm_thenItsOpenSliceIsWritten_andARestoreReachesASecondInIt()
      throws Exception {
    var orders = client.getDatabase("erp").getCollection("orders");
    for (int i = 0; i < 50; i++) orders.insertOne(new Document("_id", i).append("state", "new"));
    Engine.KeyPair key = Engine.newKeyPair();
    Path identity = dir.resolve("key.txt");
    Files.writeString(identity, key.identityFile());
    String storage = "s3://backups/pitr";
    Cli.Result b =
        Cli.run(
            dir,
            env(),
            "backup",
            "--storage",
            storage,
            "--id",
            "base",
            "--recipient",
            key.recipient(),
            "--type",
            "database");
    assertThat(b.exit()).as(b.err()).isZero();

    // a slice of an hour: only the stop writes it
    Path log = dir.resolve("archiver.log");
    Process p =
        Cli.startLogged(
            dir,
            env(),
            log,
            "oplog-archive",
            "--storage",
            storage,
            "--recipient",
            key.recipient(),
            "--slice-interval",
            "1h",
            "--poll-interval",
            "1s",
            "--progress",
            "json");
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!Files.readString(log).contains("oplogWindow") && System.nanoTime() < deadline)
      Thread.sleep(50); // its first report: it holds the storage and has read where to start
    assertThat(Files.readString(log)).contains("oplogWindow");
    Instant t1 = nextSecond();
    orders.insertOne(new Document("_id", 1000).append("state", "new"));
    Instant t2 = nextSecond();
    orders.updateOne(Filters.eq("_id", 1000), Updates.set("state", "paid"));
    nextSecond();
    orders.insertOne(new Document("_id", 1001)); // ends second t2 in the archive
    p.destroy(); // SIGTERM
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = Files.readString(log);
    assertThat(out).contains("stopped, the open slice written").doesNotContain("AGE-SECRET-KEY");

    Cli.Result list = Cli.run(dir, env(), "list", "--storage", storage);
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out())
        .contains("Oplog archive: 1 slices")
        .contains("restorable to any second from");

    Cli.Result r =
        Cli.run(
            dir,
            env(),
            "restore",
            "--storage",
            storage,
            "--until",
            t1.toString(),
            "--identity-file",
            identity.toString(),
            "--rename-db",
            "erp=erp_t1",
            "--yes");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("after backup base").contains("as it was at " + t1);
    var t1Order =
        client.getDatabase("erp_t1").getCollection("orders").find(Filters.eq("_id", 1000)).first();
    assertThat(t1Order.getString("state")).isEqualTo("new");

    r =
        Cli.run(
            dir,
            env(),
            "restore",
            "--storage",
            storage,
            "--until",
            t2.toString(),
            "--identity-file",
            identity.toString(),
            "--rename-db",
            "erp=erp_t2",
            "--yes");
    assertThat(r.exit()).as(r.err()).isZero();
    var t2Orders = client.getDatabase("erp_t2").getCollection("orders");
    assertThat(t2Orders.find(Filters.eq("_id", 1000)).first().getString("state")).isEqualTo("paid");
    assertThat(t2Orders.countDocuments()).isEqualTo(51);

    // outside the window: exit 2, one line naming the window and the flag
    Cli.Result late =
        Cli.run(
            dir,
            env(),
            "restore",
            "--storage",
            storage,
            "--until",
            "2099-01-01T00:00:00Z",
            "--identity-file",
            identity.toString(),
            "--rename-db",
            "erp=erp_late",
            "--yes");
    assertThat(late.exit()).isEqualTo(2);
    assertThat(late.err().strip().lines().reduce((a, c) -> c).orElse(""))
        .contains("no restore reaches 2099-01-01T00:00:00Z")
        .contains("reaches ")
        .contains("--until");
    Cli.Result bad =
        Cli.run(dir, env(), "oplog-archive", "--storage", storage, "--slice-interval", "often");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--slice-interval takes a duration");
  }
}
