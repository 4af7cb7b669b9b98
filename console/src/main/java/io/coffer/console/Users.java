package io.coffer.console;

import com.sun.net.httpserver.HttpExchange;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Who a request acts as. The console has no rights of its own: either it runs on an admin's machine
 * with their kubeconfig ({@link #kubeconfig}: every request is theirs), or in the cluster behind an
 * authenticating proxy that forwards each user's bearer token ({@link #forwardedToken}: each
 * request goes to the API server with the token it came with, and a request without one is
 * refused).
 */
public interface Users extends AutoCloseable {
  /** Thrown when a request carries no identity the console may use. */
  final class Unauthenticated extends RuntimeException {
    public Unauthenticated(String message) {
      super(message);
    }
  }

  /**
   * A client for one request, held until the request (a stream too) ends: {@link Lease#close()}
   * gives it back.
   */
  interface Lease extends AutoCloseable {
    KubernetesClient client();

    @Override
    void close();
  }

  Lease lease(HttpExchange ex);

  /** "kubeconfig" or "token", for the page and the start-up line. */
  String mode();

  @Override
  void close();

  static Users kubeconfig(KubernetesClient client) {
    return new Users() {
      @Override
      public Lease lease(HttpExchange ex) {
        return new Lease() {
          @Override
          public KubernetesClient client() {
            return client;
          }

          @Override
          public void close() {}
        };
      }

      @Override
      public String mode() {
        return "kubeconfig";
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }

  /**
   * {@code base}: the API server and its CA (in a pod: the in-cluster config), its own credentials
   * dropped. The token comes from {@code Authorization: Bearer} or, as oauth2-proxy sends it,
   * {@code X-Forwarded-Access-Token}. A client per token is kept for a few minutes, keyed by the
   * token's SHA-256 (the token itself is kept only in that client).
   */
  static Users forwardedToken(Config base) {
    return new Users() {
      private final Map<String, Entry> clients = new LinkedHashMap<>(16, 0.75f, true);

      /**
       * One user's client; {@code leases}: requests using it now. Closed only when retired and
       * unused.
       */
      final class Entry {
        final KubernetesClient client;
        long lastUsed;
        int leases;
        boolean retired;

        Entry(KubernetesClient client) {
          this.client = client;
        }
      }

      @Override
      public Lease lease(HttpExchange ex) {
        String token = bearer(ex);
        if (token == null) {
          throw new Unauthenticated(
              "no bearer token: the console in the cluster acts only as the signed-in user; put it behind an "
                  + "authenticating proxy that forwards the user's token (Authorization: Bearer or X-Forwarded-Access-Token)");
        }
        if (!TOKEN.matcher(token).matches() || token.length() > 16384) {
          throw new Unauthenticated(
              "the bearer token is malformed (it must be one word of letters, digits and -._~+/=): sign in again");
        }
        String key = sha256(token);
        long now = System.nanoTime();
        Entry e;
        synchronized (clients) {
          // idle clients go after 10 minutes, and the oldest unused ones when there are too many;
          // none is closed in use
          for (Iterator<Entry> it = clients.values().iterator(); it.hasNext(); ) {
            Entry old = it.next();
            if (old.leases == 0
                && (now - old.lastUsed > 600_000_000_000L || clients.size() > 200)) {
              old.client.close();
              it.remove();
            }
          }
          e = clients.get(key);
          if (e == null) {
            Config c =
                new ConfigBuilder(base)
                    .withOauthToken(token)
                    .withAutoOAuthToken(null)
                    .withUsername(null)
                    .withPassword(null)
                    .withClientCertData(null)
                    .withClientCertFile(null)
                    .withClientKeyData(null)
                    .withClientKeyFile(null)
                    .withAuthProvider(null)
                    .withOauthTokenProvider(null)
                    .withImpersonateUsername(null)
                    .withImpersonateGroups()
                    .withImpersonateExtras(null)
                    .withRequestRetryBackoffLimit(1)
                    .withConnectionTimeout(5_000)
                    // over HTTP/2 the API server answers a bad token by closing the connection
                    // (GOAWAY), which the client reports as an
                    // I/O error; over HTTP/1.1 it is a plain 401
                    .withHttp2Disable(true)
                    .build();
            e = new Entry(new KubernetesClientBuilder().withConfig(c).build());
            clients.put(key, e);
          }
          e.lastUsed = now;
          e.leases++;
        }
        Entry held = e;
        return new Lease() {
          private boolean closed;

          @Override
          public KubernetesClient client() {
            return held.client;
          }

          @Override
          public void close() {
            synchronized (clients) {
              if (closed) return;
              closed = true;
              held.leases--;
              held.lastUsed = System.nanoTime();
              if (held.retired && held.leases == 0) held.client.close();
            }
          }
        };
      }

      @Override
      public String mode() {
        return "token";
      }

      @Override
      public void close() {
        synchronized (clients) {
          clients
              .values()
              .forEach(
                  e -> {
                    e.retired = true;
                    if (e.leases == 0) e.client.close();
                  });
          clients.clear();
        }
      }
    };
  }

  Pattern TOKEN = Pattern.compile("^[A-Za-z0-9._~+/=-]+$");

  /** The request's token, or null when it has none (a blank one counts as none). */
  static String bearer(HttpExchange ex) {
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth != null
        && auth.regionMatches(true, 0, "Bearer ", 0, 7)
        && !auth.substring(7).isBlank()) return auth.substring(7).trim();
    String forwarded = ex.getRequestHeaders().getFirst("X-Forwarded-Access-Token");
    return forwarded == null || forwarded.isBlank() ? null : forwarded.trim();
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
