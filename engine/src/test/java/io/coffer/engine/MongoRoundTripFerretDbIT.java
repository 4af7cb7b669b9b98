package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.mongo.MongoRestorer;
import io.coffer.engine.mongo.Selection;
import io.coffer.protocol.ExitCode;
import io.coffer.testing.FerretDb;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The round trips of {@link MongoRoundTripIT} on FerretDB v1.24.2 with SQLite (real wire protocol
 * and command set): every BSON type FerretDB 1.x stores (not NaN, infinity, JavaScript, MinKey,
 * MaxKey or Decimal128) and the index kinds it builds (key, name, unique), byte for byte. What it
 * lacks is in docs/servers.md.
 */
class MongoRoundTripFerretDbIT extends MongoRoundTripIT {
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

  @Override
  Set<String> unsupportedFields() {
    // FerretDB 1.24.2 ends the connection on NaN, JavaScript, MinKey, MaxKey and Decimal128, and
    // refuses infinity
    return Set.of("dec", "decnan", "nan", "inf", "js", "min", "max");
  }

  @Override
  void createIndexes(MongoCollection<Document> employees) {
    employees.createIndex(
        Indexes.ascending("email"), new IndexOptions().unique(true).name("email_unique"));
    employees.createIndex(
        Indexes.compoundIndex(Indexes.ascending("dept"), Indexes.descending("name")));
  }

  @Override
  List<String> indexNames() {
    return List.of("email_unique", "dept_1_name_-1");
  }

  /**
   * FerretDB 1.24.2 refuses to rename a dotted name (see the test below): the suite's collection
   * has none.
   */
  @Override
  String dottedName() {
    return "not_dotted_coll";
  }

  @Test
  void givenADottedCollectionName_whenRestoredIntoFerretDb_thenAClearRefusalAndNothingWritten()
      throws Exception {
    client.getDatabase("erp").getCollection("a_first").insertOne(new Document("_id", 1));
    client
        .getDatabase("erp")
        .getCollection("ledger.2026")
        .insertOne(new Document("_id", 1).append("amount", 5));
    backup(options("dots", Selection.all(), Encryption.NONE));
    assertThatThrownBy(
            () ->
                restore(
                    "dots",
                    null,
                    Map.of("erp", "erp_dots"),
                    MongoRestorer.Mode.REPLACE,
                    List.of(),
                    List.of(),
                    false))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE))
        .hasMessageContaining("erp_dots.ledger.2026")
        .hasMessageContaining("cannot rename a collection whose name has a dot")
        .hasMessageContaining("Nothing was restored");
    assertThat(client.getDatabase("erp_dots").listCollectionNames().into(new ArrayList<>()))
        .as("no staging or restored collection")
        .isEmpty();
  }

  @Override
  Object money(String amount) {
    return Double.parseDouble(amount);
  }
}
