package io.coffer.testing;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/**
 * The JVM's real cluster ({@link Cluster#shared()}) for a test, or: the test skipped with one line
 * saying how to build the control plane, except under {@code CI=true}, where a missing control
 * plane fails it.
 */
public final class RealCluster {
  private RealCluster() {}

  public static Cluster get() throws Exception {
    if (ControlPlane.binaries() == null) {
      String msg = ControlPlane.missing();
      if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(msg + " - CI=true requires it");
      Assumptions.abort(msg + "; real-cluster test skipped");
    }
    return Cluster.shared();
  }
}
