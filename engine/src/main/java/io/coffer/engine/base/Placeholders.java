package io.coffer.engine.base;

import java.util.Locale;
import java.util.Set;

/**
 * The samples ({@code samples/secrets.yaml}) mark every value to replace with CHANGE-ME. A secret
 * that still holds the marker was never edited: refused before anything is read or written, naming
 * what to edit and never showing the value. The recipient the samples once shipped is refused too:
 * backups encrypted to it could be opened by nobody who set Coffer up.
 */
public final class Placeholders {
  /** The age recipient of samples/secrets.yaml before it carried the marker. */
  static final Set<String> SAMPLE_RECIPIENTS =
      Set.of("age1nfv358qmqd2dzsrdhj93mqscurcqsaeuehyp6kdev9phs652v9ksw3sa7x");

  private Placeholders() {}

  /**
   * Refuses {@code value} when it holds the marker; {@code what} names where it came from (an
   * option, a variable).
   */
  public static void refuse(String what, String value) {
    if (value == null) return;
    String upper = value.toUpperCase(Locale.ROOT);
    if (upper.contains("CHANGE-ME") || upper.contains("CHANGEME")) {
      throw CofferException.usage(
          what
              + " still holds the samples' placeholder CHANGE-ME: put the real value in its Secret "
              + "(see samples/secrets.yaml)");
    }
  }

  /** Refuses a recipient list that holds the marker or the samples' old recipient. */
  public static void refuseRecipients(String what, String content) {
    refuse(what, content);
    for (String line : content.split("\\R")) {
      if (SAMPLE_RECIPIENTS.contains(line.strip())) {
        throw CofferException.usage(
            what
                + " holds the recipient from samples/secrets.yaml, whose private key is not yours: put your "
                + "team's age1... public keys there (age-keygen -y ops.key prints one)");
      }
    }
  }
}
