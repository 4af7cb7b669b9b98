package io.coffer.bench;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.engine.base.Progress;
import io.coffer.engine.mongo.OplogReplay;
import io.coffer.testing.EmbeddedServers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;
import org.bson.BsonBinaryWriter;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;

/**
 * How fast a restore replays an oplog window onto a staged collection: entries of one kind at a
 * time (inserts, $v: 2 diffs, $set updates, deletes), in MongoDB's forms, onto mongo-java-server
 * (in this JVM: its costs are counted too). The median of {@link EngineBench#ROUNDS} rounds after a
 * warm-up. No goal is set by the issue yet; the figure is the baseline for the oplog archiver's.
 */
public final class OplogReplayBench {
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    System.out.printf(
        "machine: %d cores, Java %s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    MongoServer server = EmbeddedServers.mongo();
    try (MongoClient client = MongoClients.create(EmbeddedServers.uri(server))) {
      MongoCollection<BsonDocument> coll =
          client.getDatabase("bench").getCollection("orders", BsonDocument.class);
      List<Object[]> rows = new ArrayList<>();
      rows.add(kind("inserts", n, i -> insert(i)));
      rows.add(kind("updates ($v: 2 diff)", n, i -> diff(i)));
      rows.add(kind("updates ($set)", n, i -> set(i)));
      rows.add(kind("deletes", n, i -> delete(i)));
      System.out.printf("%,d entries of each kind, median of %d rounds%n", n, EngineBench.ROUNDS);
      for (Object[] row : rows) {
        String name = (String) row[0];
        byte[] oplog = (byte[]) row[1];
        List<Double> times = new ArrayList<>();
        for (int round = 0; round <= EngineBench.ROUNDS; round++) {
          coll.drop();
          if (!name.equals("inserts")) seed(coll, n);
          double t =
              EngineBench.time(
                  () ->
                      OplogReplay.replay(
                          new ByteArrayInputStream(oplog),
                          "bench",
                          new OplogReplay.Targets(Set.of("bench.orders"), (db, c) -> coll),
                          new Progress()));
          if (round > 0) times.add(t);
        }
        double t = EngineBench.median(times);
        System.out.printf("  %-22s: %6.2f s  %,10.0f entries/s%n", name, t, n / t);
      }
    } finally {
      server.shutdownNow();
    }
  }

  static Object[] kind(String name, int n, IntFunction<BsonDocument> entry) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < n; i++) out.writeBytes(bson(entry.apply(i)));
    return new Object[] {name, out.toByteArray()};
  }

  static void seed(MongoCollection<BsonDocument> coll, int n) {
    List<BsonDocument> batch = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      batch.add(order(i));
      if (batch.size() == 10_000) {
        coll.insertMany(batch);
        batch.clear();
      }
    }
    if (!batch.isEmpty()) coll.insertMany(batch);
  }

  static BsonDocument order(int i) {
    return new BsonDocument("_id", new BsonInt32(i))
        .append("customer", new BsonString("customer " + i % 997))
        .append("total", new BsonInt32(i * 10))
        .append("state", new BsonString("open"));
  }

  static BsonDocument entry(String op, BsonDocument o, BsonDocument o2) {
    BsonDocument e =
        new BsonDocument("op", new BsonString(op))
            .append("ns", new BsonString("bench.orders"))
            .append("o", o);
    if (o2 != null) e.append("o2", o2);
    return e;
  }

  static BsonDocument insert(int i) {
    return entry("i", order(i), null);
  }

  static BsonDocument diff(int i) {
    return entry(
        "u",
        BsonDocument.parse("{$v: 2, diff: {u: {state: 'paid'}, i: {paidAt: " + i + "}}}"),
        new BsonDocument("_id", new BsonInt32(i)));
  }

  static BsonDocument set(int i) {
    return entry(
        "u",
        BsonDocument.parse("{$v: 1, $set: {state: 'shipped'}}"),
        new BsonDocument("_id", new BsonInt32(i)));
  }

  static BsonDocument delete(int i) {
    return entry("d", new BsonDocument("_id", new BsonInt32(i)), null);
  }

  static byte[] bson(BsonDocument d) {
    BasicOutputBuffer buf = new BasicOutputBuffer();
    new BsonDocumentCodec().encode(new BsonBinaryWriter(buf), d, EncoderContext.builder().build());
    return buf.toByteArray();
  }
}
