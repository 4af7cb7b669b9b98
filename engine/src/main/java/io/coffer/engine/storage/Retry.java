package io.coffer.engine.storage;

import java.util.function.Predicate;

/**
 * The engine's one retry of transient storage errors (a 5xx answer, a reset connection): for
 * requests that can be sent again without changing what they do (reads, lists, puts of a whole
 * small object; not deletes, whose repeat could remove what another run wrote since), {@link
 * #ATTEMPTS} in all with a doubling wait. Streams that cannot be read twice (an archive being
 * uploaded) are not retried here: the operator's next attempt ({@code spec.backoffLimit}) starts
 * them again.
 */
final class Retry {
  /** Attempts of one request, the first included. */
  static final int ATTEMPTS = 3;

  /** The wait before the second attempt; it doubles before each further one. */
  static final long FIRST_WAIT_MILLIS = 250;

  private Retry() {}

  @FunctionalInterface
  interface Call<T> {
    T call() throws Exception;
  }

  static <T> T idempotent(Call<T> call, Predicate<Exception> transientError) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.call();
      } catch (Exception e) {
        if (attempt >= ATTEMPTS || !transientError.test(e)) throw e;
        try {
          Thread.sleep(FIRST_WAIT_MILLIS << (attempt - 1));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }
}
