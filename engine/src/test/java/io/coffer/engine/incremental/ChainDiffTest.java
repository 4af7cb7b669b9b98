package io.coffer.engine.incremental;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.engine.storage.FileStorage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.bson.BsonBinary;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonMaxKey;
import org.bson.BsonMinKey;
import org.bson.BsonNull;
import org.bson.BsonObjectId;
import org.bson.BsonRegularExpression;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chain index's merge, on index objects in a real folder (no MongoDB: the documents are given
 * in the order a server would return them): the _id order, deltas merged into a checkpoint, and a
 * diff that stays exact when the two orders disagree.
 */
class ChainDiffTest {
  @TempDir Path tmp;
  final DocHash hasher = new DocHash();

  DocHash.Ids doc(BsonValue id, String v) {
    var bb =
        new RawBsonDocument(
                new BsonDocument("_id", id).append("v", new BsonString(v)), new BsonDocumentCodec())
            .getByteBuffer();
    byte[] b = new byte[bb.remaining()];
    bb.get(b);
    return hasher.of(b, 0, b.length);
  }

  static byte[] el(BsonValue id) {
    byte[] d = DocHash.idDocument(id);
    return Arrays.copyOfRange(d, 4, d.length - 1);
  }

  @Test
  void givenIdsOfEveryRankedType_whenSorted_thenMongoDbsOrder() {
    List<BsonValue> expected =
        List.of(
            new BsonMinKey(),
            BsonNull.VALUE,
            new BsonDouble(Double.NaN),
            new BsonDouble(-1e300),
            new BsonInt64(Long.MIN_VALUE),
            new BsonInt32(-5),
            new BsonDouble(-4.5),
            new BsonDouble(0.0),
            new BsonInt32(1),
            new BsonDouble(1.5),
            new BsonInt64(2),
            new BsonInt32(3),
            new BsonDouble(9.007199254740993E15),
            new BsonInt64(9_007_199_254_740_993L),
            new BsonString(""),
            new BsonString("A"),
            new BsonString("Z"),
            new BsonString("a"),
            new BsonString("ab"),
            new BsonString("é"),
            new BsonDocument("a", new BsonInt32(1)),
            new BsonDocument("a", new BsonInt32(1)).append("b", new BsonInt32(0)),
            // an embedded document's elements compare by type first, then name, then value: {b: 0}
            // before {a: "x"}
            new BsonDocument("a", new BsonInt32(2)),
            new BsonDocument("b", new BsonInt32(0)),
            new BsonDocument("a", new BsonString("x")),
            new BsonBinary(new byte[] {9}),
            new BsonBinary(new byte[] {1, 2}),
            new BsonBinary((byte) 4, new byte[] {1, 2}),
            new BsonObjectId(new ObjectId("000000000000000000000001")),
            new BsonObjectId(new ObjectId("ff0000000000000000000000")),
            BsonBoolean.FALSE,
            BsonBoolean.TRUE,
            new BsonDateTime(-1),
            new BsonDateTime(1),
            new BsonTimestamp(1, 2),
            new BsonTimestamp(2, 1),
            new BsonRegularExpression("a", "i"),
            new BsonMaxKey());
    List<byte[]> shuffled = new ArrayList<>(expected.stream().map(ChainDiffTest::el).toList());
    Collections.shuffle(shuffled, new Random(7));
    shuffled.sort(IdOrder::compare);
    assertThat(shuffled)
        .usingElementComparator(Arrays::compare)
        .containsExactlyElementsOf(expected.stream().map(ChainDiffTest::el).toList());
    assertThat(IdOrder.compare(el(new BsonInt32(2)), el(new BsonInt64(2))))
        .as("numbers by value across types")
        .isZero();
    assertThat(IdOrder.compare(new byte[] {0x02, '_', 'i', 'd', 0, 1}, el(new BsonInt32(1))))
        .as("malformed: an order, no exception")
        .isNotNull();
  }

  /** Writes a checkpoint of {@code docs} in the given order as backup {@code id}. */
  void checkpoint(ChainIndex index, String id, List<DocHash.Ids> docs) throws Exception {
    ChainIndex.Writer w = index.writer(id, "mongodb.erp.events");
    for (DocHash.Ids d : docs) w.document(d.idHash(), d.docHash(), d.idElement());
    w.close();
  }

  /**
   * What an increment sees: which current documents are new or changed, and which parent documents
   * are deleted.
   */
  static Map<String, String> diff(ChainIndex index, String parent, List<DocHash.Ids> current)
      throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (ChainDiff d = new ChainDiff(index.cursor(parent, "mongodb.erp.events"))) {
      for (DocHash.Ids c : current) {
        if (d.changed(c.idHash(), c.docHash(), c.idElement()))
          out.put(name(c.idElement()), "stored");
      }
      d.deletions((h, id) -> out.put(name(id), "deleted"));
    }
    return out;
  }

  static String name(byte[] idElement) {
    return new RawBsonDocument(DocHash.idDocument(idElement)).get("_id").toString();
  }

  @Test
  void givenTheServersOrder_whenDiffed_thenOnlyChangesAreStoredAndHeld() throws Exception {
    ChainIndex index = new ChainIndex(new FileStorage(tmp), "k-0123456789abcdef".toCharArray());
    List<DocHash.Ids> before = new ArrayList<>();
    for (int i = 0; i < 1000; i++) before.add(doc(new BsonInt32(i), "v"));
    checkpoint(index, "b0", before);
    List<DocHash.Ids> now = new ArrayList<>(before);
    now.set(10, doc(new BsonInt32(10), "changed"));
    now.remove(500);
    now.add(doc(new BsonInt32(5000), "new"));
    try (ChainDiff d = new ChainDiff(index.cursor("b0", "mongodb.erp.events"))) {
      long changed = 0;
      for (DocHash.Ids c : now) if (d.changed(c.idHash(), c.docHash(), c.idElement())) changed++;
      assertThat(changed).isEqualTo(2);
      assertThat(d.held())
          .as("memory holds the changes, not the 1,000 documents")
          .isLessThanOrEqualTo(2);
      List<String> gone = new ArrayList<>();
      d.deletions((h, id) -> gone.add(name(id)));
      assertThat(gone).containsExactly("BsonInt32{value=500}");
    }
  }

  @Test
  void givenOrdersThatDisagree_whenDiffed_thenTheResultIsStillExact() throws Exception {
    // the parent's checkpoint in one order, the current collection in the reverse one (a server
    // whose order is not
    // IdOrder's): every document is held until the end, and nothing unchanged is called deleted
    ChainIndex index = new ChainIndex(new FileStorage(tmp), "k-0123456789abcdef".toCharArray());
    List<DocHash.Ids> before = new ArrayList<>();
    for (int i = 0; i < 50; i++) before.add(doc(new BsonInt32(i), "v"));
    checkpoint(index, "b0", before);
    List<DocHash.Ids> now = new ArrayList<>(before);
    now.set(3, doc(new BsonInt32(3), "changed"));
    now.remove(7);
    now.add(doc(new BsonString("inserted"), "new"));
    Collections.reverse(now);
    assertThat(diff(index, "b0", now))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "BsonInt32{value=3}",
                "stored",
                "BsonInt32{value=7}",
                "deleted",
                "BsonString{value='inserted'}",
                "stored"));
  }

  @Test
  void givenARepeatedRecordInTheParentsIndex_whenDiffed_thenTheDocumentIsNotCalledDeleted()
      throws Exception {
    // untrusted input: a checkpoint that lists a document twice in a row must not make an increment
    // call it deleted; a
    // repeat further on is a deletion candidate here, and the dumper asks the server before it
    // records one
    // (IncrementalIT.givenARepeatedRecordInAHostileIndex...)
    ChainIndex index = new ChainIndex(new FileStorage(tmp), null);
    DocHash.Ids a = doc(new BsonInt32(1), "v");
    DocHash.Ids b = doc(new BsonInt32(2), "v");
    checkpoint(index, "b0", List.of(a, a, b, b));
    assertThat(diff(index, "b0", List.of(a, b))).isEmpty();
  }

  @Test
  void givenDeltasOnACheckpoint_whenTheCursorReadsThem_thenTheNewestRecordWinsInIdOrder()
      throws Exception {
    ChainIndex index = new ChainIndex(new FileStorage(tmp), null);
    List<DocHash.Ids> before = new ArrayList<>();
    for (int i = 0; i < 10; i += 2) before.add(doc(new BsonInt32(i), "v")); // 0 2 4 6 8
    checkpoint(index, "b0", before);
    ChainIndex.Chain c0;
    try (ChainIndex.Cursor c = index.cursor("b0", "mongodb.erp.events")) {
      c0 = c.chain();
    }
    ChainIndex.Writer w1 = index.deltaWriter("b1", "mongodb.erp.events", "b0", c0);
    DocHash.Ids three = doc(new BsonInt32(3), "new");
    DocHash.Ids four = doc(new BsonInt32(4), "changed");
    w1.document(three.idHash(), three.docHash(), three.idElement());
    w1.document(four.idHash(), four.docHash(), four.idElement());
    w1.deleted(before.get(3).idHash()); // 6
    w1.close();
    ChainIndex.Chain c1;
    try (ChainIndex.Cursor c = index.cursor("b1", "mongodb.erp.events")) {
      c1 = c.chain();
    }
    assertThat(c1).isEqualTo(new ChainIndex.Chain(1, 3));
    ChainIndex.Writer w2 = index.deltaWriter("b2", "mongodb.erp.events", "b1", c1);
    w2.deleted(three.idHash());
    DocHash.Ids threeAgain = doc(new BsonInt32(3), "again");
    w2.close();
    List<String> seen = new ArrayList<>();
    index.documents(
        "b2",
        "mongodb.erp.events",
        (h, d, id) -> seen.add(name(id) + (d == four.docHash() ? " changed" : "")));
    assertThat(seen)
        .containsExactly(
            "BsonInt32{value=0}",
            "BsonInt32{value=2}",
            "BsonInt32{value=4} changed",
            "BsonInt32{value=8}");
    List<String> atB1 = new ArrayList<>();
    index.documents("b1", "mongodb.erp.events", (h, d, id) -> atB1.add(name(id)));
    assertThat(atB1)
        .containsExactly(
            "BsonInt32{value=0}",
            "BsonInt32{value=2}",
            "BsonInt32{value=3}",
            "BsonInt32{value=4}",
            "BsonInt32{value=8}");
    assertThat(threeAgain.idHash()).isEqualTo(three.idHash());
    assertThat(new ChainIndex.Chain(ChainIndex.MAX_DELTAS, 0).checkpointDue(1000)).isTrue();
    assertThat(new ChainIndex.Chain(1, 300).checkpointDue(1000))
        .as("deltas past a quarter of the documents")
        .isTrue();
    assertThat(new ChainIndex.Chain(1, 200).checkpointDue(1000)).isFalse();
  }
}
