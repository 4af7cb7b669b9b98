package io.coffer.engine.mongo;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Printable;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonString;

/**
 * The views a restore puts in place: gathered while the archive is read, checked before anything is
 * put in place (does this server make views at all?), created after the collections.
 */
final class Views {
  private record View(String database, String name, BsonDocument options) {}

  private final MongoClient client;
  private final String uri;
  private final EngineLog log;
  private final List<View> views = new ArrayList<>();

  Views(MongoClient client, String uri, EngineLog log) {
    this.client = client;
    this.uri = uri;
    this.log = log;
  }

  /** Forgets the views gathered (a restore rolled back). */
  void clear() {
    views.clear();
  }

  /** Forgets one view (dropped in a replayed oplog); whether it was gathered. */
  boolean forget(String db, String name) {
    return views.removeIf(v -> v.database().equals(db) && v.name().equals(name));
  }

  /** Whether a view of that name (db.name) is gathered. */
  boolean defines(String ns) {
    return views.stream().anyMatch(v -> (v.database() + "." + v.name()).equals(ns));
  }

  void define(String db, String name, BsonDocument metadata) {
    views.add(new View(db, name, metadata.getDocument("options", new BsonDocument())));
  }

  /**
   * Before anything is put in place, when there are views to restore: whether the server makes
   * views at all, by making one of its own and looking for it. FerretDB 1.x answers NotImplemented;
   * mongo-java-server takes the command and makes a plain collection. Either way the restore stops
   * here with what to do, instead of after the collections.
   */
  void check(String probe) {
    if (views.isEmpty()) return;
    View first = views.get(0);
    String ns = first.database() + "." + first.name();
    MongoDatabase db = client.getDatabase(first.database());
    String why = null;
    try {
      db.runCommand(
          new BsonDocument("create", new BsonString(probe))
              .append("viewOn", new BsonString(probe + "_on"))
              .append("pipeline", new BsonArray()));
      BsonDocument info =
          db.listCollections(BsonDocument.class)
              .filter(new BsonDocument("name", new BsonString(probe)))
              .first();
      if (info == null || !"view".equals(info.getString("type", new BsonString("")).getValue()))
        why = "it took a view's create command but made no view";
    } catch (MongoCommandException e) {
      if (e.getErrorCode() == 13)
        throw MongoConnection.translate(
            "cannot create view " + ns, uri, e); // Unauthorized: not a lack of views
      why = String.valueOf(e.getErrorMessage());
    } catch (MongoException e) {
      throw MongoConnection.translate("cannot create view " + ns, uri, e);
    } finally {
      try {
        db.getCollection(probe).drop();
      } catch (MongoException e) {
        log.warn(
            "could not drop "
                + first.database()
                + "."
                + probe
                + ", made to learn whether the server has views; drop it by hand");
      }
    }
    if (why != null) {
      throw new CofferException(
          ExitCode.SOURCE,
          "view "
              + Printable.escape(ns)
              + ": this server cannot create views ("
              + Printable.escape(why)
              + "); leave the views out ("
              + Field.EXCLUDE.mark()
              + " '"
              + Printable.escape(ns)
              + "') or restore into MongoDB. Nothing was put in place");
    }
  }

  /**
   * Creates the views, after the collections they read are in place; {@code merge}: a view that
   * exists is kept as it is.
   */
  void create(boolean merge, Function<String, Set<String>> existingCollections) {
    for (View v : views) {
      String ns = v.database() + "." + v.name();
      try {
        MongoDatabase db = client.getDatabase(v.database());
        if (existingCollections.apply(v.database()).contains(v.name())) {
          if (merge) {
            log.warn("view " + ns + " exists; kept as it is (merge mode)");
            continue;
          }
          db.getCollection(v.name()).drop();
        }
        BsonDocument create = new BsonDocument("create", new BsonString(v.name()));
        for (var e : v.options().entrySet()) create.put(e.getKey(), e.getValue());
        db.runCommand(create);
        log.info("restored view " + ns);
      } catch (MongoException e) {
        throw MongoConnection.translate("cannot create view " + ns, uri, e);
      }
    }
  }
}
