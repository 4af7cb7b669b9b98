package io.coffer.engine.mongo;

import com.mongodb.AuthenticationMechanism;
import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoSecurityException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.ServerDescriptionChangedEvent;
import com.mongodb.event.ServerListener;
import io.coffer.engine.base.CofferException;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Opens MongoDB from a URI and turns driver failures into one-line messages without credentials.
 */
public final class MongoConnection {
  private MongoConnection() {}

  /**
   * The last connection failure seen per server address (its exception chain as text), so that a
   * timeout can say why: the driver's own timeout message may catch the monitor between attempts,
   * without the exception. Cleared when the server answers.
   */
  private static final Map<String, String> LAST_FAILURE = new ConcurrentHashMap<>();

  /**
   * Notes each server's failures in {@link #LAST_FAILURE}. {@code tls}: this client's TLS, or null;
   * when a server asked it for a client certificate it did not have and then dropped the
   * connection, that is the reason (TLS 1.3 sends the refusal after the client's handshake ends).
   */
  private record Handshakes(MongoTls tls) implements ServerListener {
    @Override
    public void serverDescriptionChanged(ServerDescriptionChangedEvent event) {
      String address = event.getServerId().getAddress().toString();
      Throwable t = event.getNewDescription().getException();
      if (t == null) {
        LAST_FAILURE.remove(address);
        return;
      }
      StringBuilder chain = new StringBuilder();
      for (int i = 0; t != null && i < 8; t = t.getCause(), i++)
        chain.append(t.getClass().getName()).append(": ").append(t.getMessage()).append("; ");
      String now = chain.toString();
      if (tlsProblem(now) == null
          && tls != null
          && tls.askedForMissingCertificate()
          && (now.contains("Broken pipe")
              || now.contains("Connection reset")
              || now.contains("Prematurely reached end of stream")))
        now = "fatal alert: certificate_required (asked for, none given); " + now;
      // a TLS alert is often followed by a bare "broken pipe" on the next attempt: keep the alert
      String before = LAST_FAILURE.get(address);
      if (before != null && tlsProblem(before) != null && tlsProblem(now) == null) return;
      if (LAST_FAILURE.size() < 1000) LAST_FAILURE.put(address, now);
    }
  }

  /**
   * {@code tls}: a private CA and/or a client certificate; given, TLS is on whatever the URI says.
   */
  public static MongoClient open(String uri, MongoTls tls, int timeoutSeconds) {
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
    if (x509(cs) && (tls == null || !tls.hasClientCertificate()))
      throw CofferException.usage(
          "the MongoDB URI asks for authMechanism=MONGODB-X509, which logs in with a client certificate: give "
              + Field.MONGODB_CERT_FILE.mark());
    // a failure seen by an earlier client of the same server says nothing about this one
    for (String host : cs.getHosts()) LAST_FAILURE.remove(address(host));
    MongoClientSettings settings =
        MongoClientSettings.builder()
            .applyConnectionString(cs)
            .applyToClusterSettings(b -> b.serverSelectionTimeout(timeoutSeconds, TimeUnit.SECONDS))
            .applyToSocketSettings(b -> b.connectTimeout(timeoutSeconds, TimeUnit.SECONDS))
            .applyToServerSettings(b -> b.addServerListener(new Handshakes(tls)))
            .applyToSslSettings(
                b -> {
                  if (tls != null) b.enabled(true).context(tls.context());
                })
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

  /**
   * What a failed TLS handshake (or a TLS server met without TLS) says in the driver's message, in
   * words that name the setting to change; null for anything else.
   */
  static String tlsProblem(String message) {
    if (message == null) return null;
    if (message.contains("PKIX path building failed")
        || message.contains("unable to find valid certification path"))
      return "presented a TLS certificate not signed by the CA in "
          + Field.MONGODB_CA_FILE.mark()
          + " (with none given: by no CA the JVM trusts); give the CA that signed the server's certificate";
    if (message.contains("CertificateExpiredException")
        || message.contains("CertificateNotYetValidException"))
      return "presented a TLS certificate that has expired or is not yet valid; renew the server's"
          + " certificate (or check this machine's clock)";
    if (message.contains("No subject alternative") || message.contains("No name matching"))
      return "presented a TLS certificate for another name; put a host name the certificate names in the URI";
    if (message.contains("fatal alert: certificate_required"))
      return "requires a client certificate: give "
          + Field.MONGODB_CERT_FILE.mark()
          + " (with its key in "
          + Field.MONGODB_KEY_FILE.mark()
          + " or in the same file)";
    // alerts the server sent (a client-side check names its own reason, handled above)
    if (message.contains("fatal alert: bad_certificate")
        || message.contains("fatal alert: unknown_ca")
        || message.contains("fatal alert: certificate_unknown")
        || message.contains("fatal alert: unsupported_certificate")
        || message.contains("fatal alert: certificate_expired"))
      return "refused the client certificate in "
          + Field.MONGODB_CERT_FILE.mark()
          + " (not signed by a CA the server trusts, expired, or not for client authentication)";
    if (message.contains("Unsupported or unrecognized SSL message"))
      return "does not answer TLS on this port; leave out tls=true and the TLS files, or use the server's TLS port";
    if (message.contains("Prematurely reached end of stream")
        && (message.contains("Client view of cluster state")
            || message.startsWith("com.mongodb.MongoSocketReadException")))
      return "closed every connection at once; if it takes only TLS, give "
          + Field.MONGODB_CA_FILE.mark()
          + " (or tls=true in the URI for a CA the JVM trusts)";
    return null;
  }

  private static boolean x509(ConnectionString cs) {
    return cs.getCredential() != null
        && cs.getCredential().getAuthenticationMechanism() == AuthenticationMechanism.MONGODB_X509;
  }

  private static boolean x509(String uri) {
    try {
      return uri != null && x509(new ConnectionString(uri));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean afterAlert(String message) {
    return message == null
        || !message.contains("exception=")
        || message.contains("Broken pipe")
        || message.contains("Connection reset");
  }

  /** A URI's host as the driver names the server: with its port (MongoDB's default, 27017). */
  private static String address(String host) {
    return host.contains(":") ? host : host + ":27017";
  }

  /** The TLS problem last seen at one of the URI's servers, or null. */
  private static String lastFailure(String uri) {
    try {
      for (String host : new ConnectionString(uri).getHosts()) {
        String why = tlsProblem(LAST_FAILURE.get(address(host)));
        if (why != null) return why;
      }
    } catch (IllegalArgumentException | NullPointerException e) {
      // no URI to look up
    }
    return null;
  }

  public static CofferException translate(String what, String uri, MongoException e) {
    String where = redact(uri);
    // the timeout's own view of the servers may have caught the monitor between attempts (no
    // exception) or at the broken pipe or closed stream a TLS alert leaves on the next attempt:
    // then the last failure seen explains it; a refused connection or an unknown host is news of
    // its own
    String tls =
        e instanceof MongoTimeoutException
                && (afterAlert(e.getMessage())
                    || e.getMessage().contains("Prematurely reached end of stream"))
            ? lastFailure(uri)
            : null;
    if (tls == null) tls = tlsProblem(e.getMessage());
    if (tls != null)
      return new CofferException(ExitCode.SOURCE, what + ": MongoDB at " + where + " " + tls, e);
    if (e instanceof MongoTimeoutException) {
      return new CofferException(
          ExitCode.SOURCE,
          what
              + ": cannot reach MongoDB at "
              + where
              + " (no server answered in time); check the URI, the network and that the server runs",
          e);
    }
    if (e instanceof MongoSecurityException && x509(uri)) {
      return new CofferException(
          ExitCode.SOURCE,
          what
              + ": MongoDB at "
              + where
              + " refused the client certificate as a user (MONGODB-X509); the server needs a user in"
              + " $external named by the certificate's subject, with the backup/restore roles",
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
