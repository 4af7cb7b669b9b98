package io.coffer.engine.mongo;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.client.MongoDatabase;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Printable;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.util.List;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonString;

/**
 * The indexes a backup recorded for a collection, built on its staged copy or its merged target.
 */
final class Indexes {
  private Indexes() {}

  /**
   * {@code staged}: built on a staged copy, before anything is put in place (else on a target
   * already merged into).
   */
  static void create(
      MongoDatabase db,
      String collection,
      List<BsonDocument> indexes,
      String ns,
      boolean staged,
      String uri) {
    BsonArray specs = new BsonArray();
    for (BsonDocument ix : indexes) {
      if ("_id_".equals(ix.getString("name", new BsonString("")).getValue())) continue;
      BsonDocument spec = new BsonDocument();
      for (var e : ix.entrySet()) {
        if (!e.getKey().equals("v") && !e.getKey().equals("ns")) spec.put(e.getKey(), e.getValue());
      }
      specs.add(spec);
    }
    if (specs.isEmpty()) return;
    try {
      db.runCommand(
          new BsonDocument("createIndexes", new BsonString(collection)).append("indexes", specs));
    } catch (MongoCommandException e) {
      if (e.getErrorCode() != 238 && e.getErrorCode() != 67 && e.getErrorCode() != 197)
        throw MongoConnection.translate("cannot index " + ns, uri, e);
      // NotImplemented, CannotCreateIndex, InvalidIndexSpecificationOption: a kind of index this
      // server does not build
      throw new CofferException(
          ExitCode.SOURCE,
          "collection "
              + Printable.escape(ns)
              + ": this server cannot build the backup's indexes ("
              + Printable.escape(String.valueOf(e.getErrorMessage()))
              + "); restore into a server that has this kind of index (docs/servers.md lists them), or leave the collection out ("
              + Field.EXCLUDE.mark()
              + ")."
              + (staged
                  ? " Nothing was put in place"
                  : " Its documents are merged already, without these indexes"));
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot index " + ns, uri, e);
    }
  }
}
