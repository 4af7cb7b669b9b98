package io.coffer.image;

import java.util.List;
import java.util.Map;

/**
 * The Coffer image's config: what {@link ImageBuilder} writes and the Dockerfile must say too
 * (e2e's {@code ImageConfigTest} compares them and reads the archive back). No Jib types here, so
 * tests can read it.
 */
public final class ImageConfig {
  private ImageConfig() {}

  /**
   * Non-root: the Job pods and the Deployment run as this uid and gid, with a read-only root file
   * system.
   */
  public static final String USER = "65532:65532";

  /**
   * The JVM sized for a container: the heap at half the pod's memory limit leaves the other half
   * for metaspace, code, threads, direct buffers and the kernel's page cache accounting (75 % put a
   * 700 MB files backup at 252 MiB RSS in a 256 MiB container); serial GC (one or two CPUs,
   * short-lived engine processes); no perf data file (read-only root). Out of memory is the
   * engine's own clear error (its exit code says internal, not -XX:+ExitOnOutOfMemoryError's 3,
   * which is Coffer's "source failed"); `coffer operator` ends itself on an OutOfMemoryError in any
   * thread, so the kubelet restarts it. On the command line, not in JAVA_TOOL_OPTIONS, so the JVM
   * does not print a "Picked up" line into every Job's log.
   */
  public static final List<String> ENTRYPOINT =
      List.of(
          "/opt/java/bin/java",
          "-XX:MaxRAMPercentage=50",
          "-XX:+UseSerialGC",
          "-XX:-UsePerfData",
          "-Xss512k",
          "-jar",
          "/opt/coffer/coffer.jar");

  public static final List<String> CMD = List.of("--help");
  public static final Map<String, String> ENVIRONMENT =
      Map.of("PATH", "/opt/java/bin", "JAVA_HOME", "/opt/java", "LANG", "C.UTF-8");
  public static final Map<String, String> LABELS =
      Map.of(
          "org.opencontainers.image.title", "coffer",
          "org.opencontainers.image.description",
              "Kubernetes-native backups of MongoDB databases and file volumes",
          "org.opencontainers.image.source", "https://github.com/coffer-io/coffer",
          "org.opencontainers.image.licenses", "Apache-2.0");
}
