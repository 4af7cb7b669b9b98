package io.coffer.api;

import io.coffer.testing.RealCluster;
import io.coffer.testing.ServerValidator;
import org.junit.jupiter.api.BeforeAll;

/**
 * The same samples and malformed Restores as {@link RestoreValidationTest}, admitted or refused by
 * the real API server (server-side dry run against the installed CRD: structural schema, CEL rules
 * and their cost budget), with the same messages. Nothing is simulated here.
 */
class RestoreServerValidationIT extends RestoreValidationTest {
  @BeforeAll
  static void onTheServer()
      throws Exception { // after the superclass's load(): the server replaces the local validator
    validator = new ServerValidator(RealCluster.get(), "admission");
  }
}
