package io.coffer.engine.mongo;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoSecurityException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.coffer.engine.base.CofferException;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.util.concurrent.TimeUnit;

/**
 * Opens MongoDB from a URI and turns driver failures into one-line messages without credentials.
 */
public final class MongoConnection {
  private MongoConnection() {}

  public static MongoClient open(String uri, int timeoutSeconds) {
    if (uri == null || uri.isBlank()) {
      throw CofferException.usage("no MongoDB URI: give " + Field.MONGODB_URI.mark());
    }
    ConnectionString cs;
    try {
      cs = new ConnectionString(uri);
    } catch (IllegalArgumentException e) {
      throw CofferException.usage(
          "the MongoDB URI is not valid (expected mongodb://host:port/...); the value is not shown because it may hold a password");
    }
    MongoClientSettings settings =
        MongoClientSettings.builder()
            .applyConnectionString(cs)
            .applyToClusterSettings(b -> b.serverSelectionTimeout(timeoutSeconds, TimeUnit.SECONDS))
            .applyToSocketSettings(b -> b.connectTimeout(timeoutSeconds, TimeUnit.SECONDS))
            .applicationName("coffer")
            .build();
    return MongoClients.create(settings);
  }

  /** host:port list of a URI, never its user or password. */
  public static String redact(String uri) {
    if (uri == null) return null;
    try {
      ConnectionString cs = new ConnectionString(uri);
      String scheme = uri.startsWith("mongodb+srv://") ? "mongodb+srv://" : "mongodb://";
      return scheme
          + String.join(",", cs.getHosts())
          + (cs.getDatabase() != null ? "/" + cs.getDatabase() : "");
    } catch (IllegalArgumentException e) {
      return "(invalid MongoDB URI)";
    }
  }

  public static CofferException translate(String what, String uri, MongoException e) {
    String where = redact(uri);
    if (e instanceof MongoTimeoutException) {
      return new CofferException(
          ExitCode.SOURCE,
          what
              + ": cannot reach MongoDB at "
              + where
              + " (no server answered in time); check the URI, the network and that the server runs",
          e);
    }
    if (e instanceof MongoSecurityException) {
      return new CofferException(
          ExitCode.SOURCE,
          what
              + ": MongoDB at "
              + where
              + " refused the credentials; check the user, password and authSource in the URI",
          e);
    }
    if (e instanceof MongoCommandException mce
        && (mce.getErrorCode() == 13 || mce.getErrorCode() == 18)) {
      return new CofferException(
          ExitCode.SOURCE,
          what
              + ": MongoDB at "
              + where
              + " denied access ("
              + mce.getErrorCodeName()
              + "); the user needs the backup/restore roles",
          e);
    }
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = msg.indexOf('\n');
    if (nl > 0) msg = msg.substring(0, nl);
    return new CofferException(
        ExitCode.SOURCE, what + ": MongoDB at " + where + " failed: " + msg, e);
  }
}
