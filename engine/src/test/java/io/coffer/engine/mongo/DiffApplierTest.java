package io.coffer.engine.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.junit.jupiter.api.Test;

/**
 * Oplog updates applied in memory as a replica set replays them, from fixtures in MongoDB's
 * documented forms ({@code $v: 2} diffs, {@code $set} / {@code $unset}): the result, field order
 * included (compared as JSON, which keeps order), is the same whichever later state of the window a
 * backup read the document in. Nothing is simulated: pure functions.
 */
class DiffApplierTest {
  static BsonDocument doc(String json) {
    return BsonDocument.parse(json);
  }

  /** A document's history: its state, then each update's diff. */
  static final BsonDocument START =
      doc("{_id: 1, a: 1, b: {c: 1, d: 2}, arr: [1, 2, 3, 4], gone: true}");

  static final List<BsonDocument> DIFFS =
      List.of(
          doc("{u: {a: 5}, i: {z: 1, y: 2}, d: {gone: false}}"), // new fields go last, in order
          doc("{sb: {d: {d: false}, u: {c: 9}}, sarr: {a: true, l: 2, u1: 7}}"),
          doc("{i: {a: 6}}"), // a field moved to the end
          doc("{u: {b: 'flat'}}"), // b becomes a scalar
          doc("{sarr: {a: true, u3: {x: 1}}}"), // an array grows, padded with null
          doc("{sarr: {a: true, s3: {u: {x: 2}}}}"));

  static BsonDocument states(int upTo) {
    BsonDocument d = START;
    for (int i = 0; i < upTo; i++) d = DiffApplier.applyDiff(d, DIFFS.get(i));
    return d;
  }

  @Test
  void givenADocumentReadAtAnyPointOfItsHistory_whenEveryDiffIsReplayed_thenTheFinalDocument() {
    BsonDocument end = states(DIFFS.size());
    assertThat(end.toJson())
        .isEqualTo(
            doc("{_id: 1, b: 'flat', arr: [1, 7, null, {x: 2}], z: 1, y: 2, a: 6}").toJson());
    // a backup reads the document at some point k of the window and replays every entry from
    // the window's start: the result must be the final state, whatever k
    for (int k = 0; k <= DIFFS.size(); k++) {
      BsonDocument d = states(k);
      for (BsonDocument diff : DIFFS) d = DiffApplier.applyDiff(d, diff);
      assertThat(d.toJson()).as("read after " + k + " updates").isEqualTo(end.toJson());
    }
  }

  @Test
  void givenSetAndUnsetByPath_whenReplayedOverLaterStates_thenTheFinalDocument() {
    List<BsonDocument> updates =
        List.of(
            doc("{$set: {'p.q': 1, 'list.2': 'x'}}"),
            doc("{$unset: {'p.q': 1}}"),
            doc("{$set: {p: 5}}"),
            doc("{$set: {'p.r': 1}}"), // p is a scalar now: passed over, as MongoDB's replay does
            doc("{$set: {p: {r: 2}}}"));
    BsonDocument start = doc("{_id: 1, list: ['a']}");
    List<BsonDocument> states = new ArrayList<>(List.of(start));
    for (BsonDocument u : updates)
      states.add(DiffApplier.applySetUnset(states.get(states.size() - 1), u));
    BsonDocument end = states.get(states.size() - 1);
    assertThat(end.toJson()).isEqualTo(doc("{_id: 1, list: ['a', null, 'x'], p: {r: 2}}").toJson());
    for (BsonDocument s : states) {
      BsonDocument d = s;
      for (BsonDocument u : updates) d = DiffApplier.applySetUnset(d, u);
      assertThat(d.toJson()).isEqualTo(end.toJson());
    }
  }

  @Test
  void givenArraysShorterOrChangedSinceTheEntry_thenTheEntryIsPassedOverWhereItNoLongerFits() {
    // a length longer than the array leaves it; an element diff past its end or of another type
    // is passed over; $unset of an element leaves a null, as MongoDB does
    assertThat(
            DiffApplier.applyDiff(
                    doc("{arr: [1, 2]}"),
                    doc("{sarr: {a: true, l: 5, s7: {u: {x: 1}}, s0: {u: {y: 1}}}}"))
                .toJson())
        .isEqualTo(doc("{arr: [1, 2]}").toJson());
    assertThat(
            DiffApplier.applySetUnset(doc("{arr: [1, 2, 3]}"), doc("{$unset: {'arr.1': 1}}"))
                .toJson())
        .isEqualTo(doc("{arr: [1, null, 3]}").toJson());
    assertThat(
            DiffApplier.applySetUnset(doc("{arr: [1]}"), doc("{$unset: {'arr.5': 1, 'no.x': 1}}"))
                .toJson())
        .isEqualTo(doc("{arr: [1]}").toJson());
  }

  @Test
  void givenForgedDiffs_thenTheyAreRefusedBeforeAnythingIsWritten() {
    BsonDocument deep = doc("{u: {x: 1}}");
    for (int i = 0; i < 150; i++) deep = new BsonDocument("sx", deep);
    for (BsonDocument bad :
        List.of(
            doc("{x: 1}"),
            doc("{sarr: {a: true, l: -1}}"),
            doc("{sarr: {a: true, u١: 1}}"), // a non-ASCII digit
            doc("{sarr: {a: true, uabc: 1}}"),
            doc("{u: 5}"),
            deep)) {
      BsonDocument entry =
          new BsonDocument("op", new BsonString("u"))
              .append("ns", new BsonString("erp.orders"))
              .append("o", new BsonDocument("$v", new BsonInt32(2)).append("diff", bad))
              .append("o2", doc("{_id: 1}"));
      assertThat(OplogReplay.unreplayable(entry)).as(bad.toJson()).isNotNull();
    }
    assertThatThrownBy(
            () -> DiffApplier.applyDiff(doc("{arr: []}"), doc("{sarr: {a: true, u1500000: 1}}")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void givenATransactionOfChosenAndOtherCollections_whenKept_thenOnlyTheChosenOperations() {
    BsonDocument entry =
        doc(
            "{op: 'c', ns: 'admin.$cmd', o: {applyOps: ["
                + "{op: 'i', ns: 'erp.orders', o: {_id: 1}},"
                + "{op: 'i', ns: 'erp.lines', o: {_id: 1}},"
                + "{op: 'i', ns: 'crm.contacts', o: {_id: 1}}]}}");
    RawBsonDocument raw = new RawBsonDocument(entry, new BsonDocumentCodec());
    BsonDocument kept = OplogCapture.keep(raw, Set.of("erp.orders", "erp.lines"), Set.of());
    assertThat(kept.getDocument("o").getArray("applyOps"))
        .extracting(v -> v.asDocument().getString("ns").getValue())
        .containsExactly("erp.orders", "erp.lines");
    assertThat(OplogCapture.keep(raw, Set.of("hr.staff"), Set.of())).isNull();
    assertThat(new BsonArray(raw.getDocument("o").getArray("applyOps"))).hasSize(3);
  }
}
