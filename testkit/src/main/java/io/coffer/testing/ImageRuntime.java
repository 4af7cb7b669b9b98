package io.coffer.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a container from the Coffer image archive (image/target/coffer-image.tar, an OCI image
 * layout) the way a container runtime does, without one: the archive is unpacked once per image
 * digest (~/.cache/coffer/images); each container gets its own mount namespace and hostname
 * (unshare), the image as its root through an overlay whose upper layer is the pod's (so the image
 * stays untouched), remounted read-only when the container's security context says {@code
 * readOnlyRootFilesystem}; /proc, a /dev with null, zero, random, urandom and the termination log,
 * its own /etc/hosts, /etc/hostname and /etc/resolv.conf, the cgroup hierarchies (so the JVM sees
 * its limit), and the pod's volumes bind-mounted where the pod says (read-only where it says); then
 * chroot to it as the pod's uid, gid and groups and exec the image's entrypoint (or the container's
 * command) with the image's environment under the container's. A memory limit becomes a memory
 * cgroup with that limit: exceeding it is an OOM kill, as on a node.
 *
 * <p>Simulated: no network namespace (the host's network, as {@code hostNetwork: true}), no seccomp
 * filter or capability bounding beyond what a non-root uid has, no CPU limit, no image pulls
 * (images are loaded, as with {@code kind load image-archive}). Needs root (mount namespaces,
 * chroot) and cgroup v1 or v2 with the memory controller writable.
 */
public final class ImageRuntime {
  /** The image the chart and the release name; what the tests' Jobs ask for. */
  public static final String REFERENCE =
      System.getProperty("coffer.image", "ghcr.io/coffer-io/coffer:0.1.0");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static volatile ImageRuntime shared;
  private static volatile String unavailable;
  private static volatile IllegalStateException refused;

  private final String reference;
  private final String digest;
  private final Path rootfs;
  private final List<String> entrypoint;
  private final List<String> cmd;
  private final Map<String, String> env;
  private final String user;
  private final Path memoryCgroups;

  private ImageRuntime(String reference, String digest, Path rootfs, JsonNode config)
      throws IOException {
    this.reference = reference;
    this.digest = digest;
    this.rootfs = rootfs;
    JsonNode c = config.path("config");
    this.entrypoint = strings(c.path("Entrypoint"));
    this.cmd = strings(c.path("Cmd"));
    this.env = new LinkedHashMap<>();
    for (String e : strings(c.path("Env"))) {
      int i = e.indexOf('=');
      env.put(i < 0 ? e : e.substring(0, i), i < 0 ? "" : e.substring(i + 1));
    }
    this.user = c.path("User").asText("");
    this.memoryCgroups = memoryCgroupRoot();
  }

  /**
   * The runtime for the archive named by {@code -Dcoffer.image.tar} (or {@code COFFER_IMAGE_TAR}),
   * unpacked on first use; null when none is named or this machine cannot run it ({@link
   * #unavailable()} says why). With CI=true a named archive that cannot run is an error: the
   * real-cluster tests must not quietly fall back to class-path processes.
   */
  public static synchronized ImageRuntime shared() {
    if (refused != null)
      throw refused; // every caller, not only the first: no quiet fallback on a second try
    if (shared != null || unavailable != null) return shared;
    String tar = System.getProperty("coffer.image.tar", System.getenv("COFFER_IMAGE_TAR"));
    if (tar == null || tar.isBlank()) {
      // nothing named (the demo, modules built before the image): class-path processes, which their
      // callers say
      unavailable = "no image archive named (-Dcoffer.image.tar)";
      return null;
    }
    try {
      Path archive = Path.of(tar);
      if (!Files.isRegularFile(archive))
        throw new IllegalStateException(
            archive + " does not exist: build it with mvn -pl image -am package");
      if (!"0".equals(run(List.of("id", "-u")).trim()))
        throw new IllegalStateException(
            "running containers from the image needs root (mount namespaces, chroot)");
      shared = load(archive, REFERENCE);
      System.err.println(
          "image runtime: Coffer pods run from " + archive + " (" + shared.digest + ")");
    } catch (Exception e) {
      unavailable = e.getMessage();
      if ("true".equals(System.getenv("CI"))) {
        refused =
            new IllegalStateException("the Coffer image cannot run here: " + e.getMessage(), e);
        throw refused;
      }
      System.err.println(
          "image runtime: none (" + e.getMessage() + "): Coffer pods run as class-path processes");
    }
    return shared;
  }

  public static String unavailable() {
    return unavailable;
  }

  /**
   * Unpacks the archive's image {@code reference} (once per manifest digest) and reads its config.
   */
  public static ImageRuntime load(Path archive, String reference)
      throws IOException, InterruptedException {
    Path cache =
        Files.createDirectories(
            Path.of(System.getProperty("user.home"), ".cache", "coffer", "images"));
    // one JVM at a time unpacks and prunes (a benchmark beside a test run, two builds)
    try (var lockFile =
            FileChannel.open(
                cache.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        var lock = lockFile.lock()) {
      return loadLocked(cache, archive, reference);
    }
  }

  private static ImageRuntime loadLocked(Path cache, Path archive, String reference)
      throws IOException, InterruptedException {
    Path staging = cache.resolve("staging-" + ProcessHandle.current().pid());
    deleteTree(staging);
    Files.createDirectories(staging);
    try {
      run(
          List.of(
              "tar",
              "-xf",
              archive.toString(),
              "-C",
              staging.toString(),
              "index.json",
              "oci-layout"));
      JsonNode index = JSON.readTree(staging.resolve("index.json").toFile());
      JsonNode manifestRef = null;
      for (JsonNode m : index.path("manifests")) {
        if (reference.equals(
            m.path("annotations").path("org.opencontainers.image.ref.name").asText()))
          manifestRef = m;
      }
      if (manifestRef == null) throw new IOException(archive + " holds no image " + reference);
      String digest = manifestRef.path("digest").asText();
      Path image = cache.resolve(digest.replace(':', '-'));
      JsonNode manifest = JSON.readTree(blob(archive, staging, digest).toFile());
      JsonNode config =
          JSON.readTree(
              blob(archive, staging, manifest.path("config").path("digest").asText()).toFile());
      if (!Files.exists(image.resolve("complete"))) {
        Path rootfs = Files.createDirectories(staging.resolve("rootfs"));
        for (JsonNode layer : manifest.path("layers")) {
          String d = layer.path("digest").asText();
          run(List.of("tar", "-xf", archive.toString(), "-C", staging.toString(), blobPath(d)));
          Path blob = staging.resolve(blobPath(d));
          boolean gzip = layer.path("mediaType").asText().endsWith("gzip");
          run(
              List.of(
                  "tar",
                  gzip ? "-xzf" : "-xf",
                  blob.toString(),
                  "-C",
                  rootfs.toString(),
                  "--same-owner",
                  "--same-permissions",
                  "--numeric-owner"));
          Files.delete(blob);
        }
        deleteTree(image);
        Files.createDirectories(image);
        Files.move(rootfs, image.resolve("rootfs"), StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(image.resolve("config.json"), config.toString());
        Files.writeString(image.resolve("complete"), reference + "\n");
      }
      Files.setLastModifiedTime(image.resolve("complete"), FileTime.from(Instant.now()));
      prune(cache, image);
      return new ImageRuntime(reference, digest, image.resolve("rootfs"), config);
    } finally {
      deleteTree(staging);
    }
  }

  /**
   * Every build makes a new image: the cache keeps the current one, the two used before it, and any
   * used in the last hour (another JVM's pods may run on it); about 100 MB each.
   */
  private static void prune(Path cache, Path current) throws IOException {
    List<Path> images;
    try (var all = Files.list(cache)) {
      images =
          all.filter(p -> Files.exists(p.resolve("complete")) && !p.equals(current))
              .sorted((a, b) -> Long.compare(used(b), used(a)))
              .toList();
    }
    long hourAgo = System.currentTimeMillis() - 3_600_000;
    for (Path old : images.subList(Math.min(2, images.size()), images.size())) {
      if (used(old) < hourAgo) deleteTree(old);
    }
  }

  private static long used(Path image) {
    try {
      return Files.getLastModifiedTime(image.resolve("complete")).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  public String reference() {
    return reference;
  }

  public String digest() {
    return digest;
  }

  public String user() {
    return user;
  }

  /**
   * What one container needs from the pod: its mounts (container path to host path), identity and
   * limits.
   */
  public record Container(
      String hostname,
      Path podDir,
      Map<String, Mount> mounts,
      Path termination,
      String terminationPath,
      List<String> command,
      List<String> args,
      Map<String, String> env,
      long uid,
      long gid,
      List<Long> groups,
      boolean readOnlyRoot,
      Long memoryLimit,
      Path log) {}

  public record Mount(Path source, boolean readOnly) {}

  /**
   * A started container: its process (the pid is the entrypoint's) and its cgroup, for the exit
   * reason.
   */
  public final class Started {
    public final Process process;
    private final Path cgroup;

    Started(Process process, Path cgroup) {
      this.process = process;
      this.cgroup = cgroup;
    }

    /** After exit: whether the kernel killed it for its memory limit. */
    public boolean oomKilled() {
      if (cgroup == null) return false;
      try {
        for (String line :
            Files.readAllLines(
                cgroup.resolve(
                    Files.exists(cgroup.resolve("memory.events"))
                        ? "memory.events"
                        : "memory.oom_control"))) {
          String[] f = line.trim().split("\\s+");
          if (f.length == 2 && f[0].equals("oom_kill") && Long.parseLong(f[1]) > 0) return true;
        }
      } catch (IOException | NumberFormatException e) {
        return false;
      }
      return false;
    }

    /** Removes the container's cgroup once its process is gone. */
    public void cleanUp() {
      if (cgroup == null) return;
      killAll(cgroup); // what the entrypoint left behind goes with it, as with a container
      for (int i = 0; i < 50 && Files.exists(cgroup); i++) {
        try {
          Files.delete(cgroup);
        } catch (IOException e) {
          try {
            Thread.sleep(20);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }
  }

  public Started start(Container c) throws IOException, InterruptedException {
    Path upper = Files.createDirectories(c.podDir().resolve("rootfs-upper"));
    Path workdir = Files.createDirectories(c.podDir().resolve("rootfs-work"));
    Path root = Files.createDirectories(c.podDir().resolve("rootfs"));
    Path etc = Files.createDirectories(c.podDir().resolve("etc"));
    Files.writeString(
        etc.resolve("hosts"),
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\t"
            + c.hostname()
            + "\n");
    Files.writeString(etc.resolve("hostname"), c.hostname() + "\n");
    Path resolv = Path.of("/etc/resolv.conf");
    Files.writeString(
        etc.resolve("resolv.conf"), Files.isReadable(resolv) ? Files.readString(resolv) : "");
    if (!Files.exists(c.termination())) Files.createFile(c.termination());
    run(List.of("chmod", "0666", c.termination().toString()));

    Path cgroup = null;
    if (c.memoryLimit() != null && memoryCgroups != null) {
      cgroup = Files.createDirectories(memoryCgroups.resolve(c.podDir().getFileName().toString()));
      if (Files.exists(cgroup.resolve("memory.max"))) { // v2: no swap either, as a kubelet sets it
        Files.writeString(cgroup.resolve("memory.max"), String.valueOf(c.memoryLimit()));
        if (Files.exists(cgroup.resolve("memory.swap.max")))
          Files.writeString(cgroup.resolve("memory.swap.max"), "0");
      } else if (Files.exists(cgroup.resolve("memory.limit_in_bytes"))) {
        Files.writeString(cgroup.resolve("memory.limit_in_bytes"), String.valueOf(c.memoryLimit()));
        if (Files.exists(cgroup.resolve("memory.memsw.limit_in_bytes"))) {
          Files.writeString(
              cgroup.resolve("memory.memsw.limit_in_bytes"), String.valueOf(c.memoryLimit()));
        }
      } else {
        throw new IOException(
            cgroup + " has no memory controller: cannot give the container its memory limit");
      }
    }
    StringBuilder s = new StringBuilder("set -e\n");
    if (cgroup != null)
      s.append("echo $$ > ").append(q(cgroup.resolve("cgroup.procs").toString())).append('\n');
    s.append("/usr/bin/hostname ").append(q(c.hostname())).append('\n');
    String r = root.toString();
    s.append("/usr/bin/mount -t overlay overlay -o ")
        .append(q("lowerdir=" + rootfs + ",upperdir=" + upper + ",workdir=" + workdir))
        .append(' ')
        .append(q(r))
        .append('\n');
    // mount points first (in the pod's upper layer), then the root goes read-only, then everything
    // is mounted over it
    List<String> dirs = new ArrayList<>(List.of("/proc", "/dev", "/etc"));
    if (memoryCgroups != null) dirs.add("/sys/fs/cgroup");
    List<String> files =
        new ArrayList<>(List.of("/etc/hosts", "/etc/hostname", "/etc/resolv.conf"));
    // volumes mounted parents first (by depth, as containerd orders them), so a nested mount is not
    // hidden
    List<Map.Entry<String, Mount>> mounts = new ArrayList<>(c.mounts().entrySet());
    mounts.sort(Comparator.comparingInt(m -> m.getKey().split("/").length));
    for (var m : mounts) (Files.isDirectory(m.getValue().source()) ? dirs : files).add(m.getKey());
    if (!c.terminationPath().startsWith("/dev/"))
      files.add(c.terminationPath()); // its mount point, made before the root is read-only
    for (String d : dirs) s.append("/usr/bin/mkdir -p ").append(q(r + d)).append('\n');
    for (String f : files) {
      s.append("/usr/bin/mkdir -p ")
          .append(q(r + Path.of(f).getParent()))
          .append(" && [ -e ")
          .append(q(r + f))
          .append(" ] || /usr/bin/touch ")
          .append(q(r + f))
          .append('\n');
    }
    if (c.readOnlyRoot()) s.append("/usr/bin/mount -o remount,ro ").append(q(r)).append('\n');
    s.append("/usr/bin/mount -t proc proc ").append(q(r + "/proc")).append('\n');
    s.append("/usr/bin/mount -t tmpfs -o mode=755,size=1m,nosuid tmpfs ")
        .append(q(r + "/dev"))
        .append('\n');
    for (String d : List.of("null", "zero", "random", "urandom", "full")) {
      s.append("/usr/bin/touch ")
          .append(q(r + "/dev/" + d))
          .append(" && /usr/bin/mount --bind /dev/")
          .append(d)
          .append(' ')
          .append(q(r + "/dev/" + d))
          .append('\n');
    }
    s.append("/usr/bin/ln -s /proc/self/fd ").append(q(r + "/dev/fd")).append('\n');
    for (String[] l : new String[][] {{"stdin", "0"}, {"stdout", "1"}, {"stderr", "2"}}) {
      s.append("/usr/bin/ln -s /proc/self/fd/")
          .append(l[1])
          .append(' ')
          .append(q(r + "/dev/" + l[0]))
          .append('\n');
    }
    if (c.terminationPath().startsWith("/dev/"))
      s.append("/usr/bin/touch ").append(q(r + c.terminationPath())).append('\n');
    bind(s, c.termination(), r + c.terminationPath(), false);
    if (memoryCgroups != null) {
      // the JVM reads its limit there (HotSpot wants every v1 controller it knows, not only
      // memory), read-only
      s.append("/usr/bin/mount --rbind /sys/fs/cgroup ")
          .append(q(r + "/sys/fs/cgroup"))
          .append('\n');
      s.append("/usr/bin/mount -o remount,bind,ro ").append(q(r + "/sys/fs/cgroup")).append('\n');
    }
    for (String f : List.of("hosts", "hostname", "resolv.conf"))
      bind(s, etc.resolve(f), r + "/etc/" + f, true);
    for (var m : mounts) {
      // a mount point inside an earlier volume is made in that volume, as a runtime does
      if (Files.isDirectory(m.getValue().source()))
        s.append("[ -d ")
            .append(q(r + m.getKey()))
            .append(" ] || /usr/bin/mkdir -p ")
            .append(q(r + m.getKey()))
            .append('\n');
      bind(s, m.getValue().source(), r + m.getKey(), m.getValue().readOnly());
    }
    StringBuilder groups = new StringBuilder();
    for (long g : c.groups()) groups.append(groups.length() == 0 ? "" : ",").append(g);
    s.append("exec /usr/sbin/chroot --userspec=").append(c.uid()).append(':').append(c.gid());
    if (groups.length() > 0) s.append(" --groups=").append(groups);
    s.append(' ').append(q(r)).append(" \"$@\"\n");

    List<String> argv =
        new ArrayList<>(
            List.of(
                "/usr/bin/unshare",
                "--mount",
                "--uts",
                "--propagation",
                "private",
                "/bin/sh",
                "-c",
                s.toString(),
                "container"));
    List<String> command = c.command() == null || c.command().isEmpty() ? entrypoint : c.command();
    List<String> args =
        c.command() == null || c.command().isEmpty()
            ? (c.args() == null || c.args().isEmpty() ? cmd : c.args())
            : (c.args() == null ? List.of() : c.args());
    if (command.isEmpty() && args.isEmpty())
      throw new IOException(
          "image " + reference + " has no entrypoint and the container no command");
    argv.addAll(command);
    argv.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(argv)
            .directory(c.podDir().toFile())
            .redirectErrorStream(true)
            .redirectOutput(c.log().toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    pb.environment().putAll(c.env());
    pb.environment().putIfAbsent("HOSTNAME", c.hostname()); // as a CRI runtime sets it
    Files.writeString(c.podDir().resolve("container.sh"), s.toString());
    Process p = pb.start();
    p.getOutputStream().close();
    return new Started(p, cgroup);
  }

  /**
   * uid and gid of the image's USER ({@code 65532:65532} or a number); root when it says nothing.
   */
  public long[] imageUser() {
    if (user.isBlank()) return new long[] {0, 0};
    String[] parts = user.split(":");
    try {
      long uid = Long.parseLong(parts[0]);
      return new long[] {uid, parts.length > 1 ? Long.parseLong(parts[1]) : uid};
    } catch (NumberFormatException e) {
      throw new IllegalStateException(
          "image user " + user + " is a name: this runtime takes numbers only");
    }
  }

  private static void bind(StringBuilder s, Path source, String target, boolean readOnly) {
    s.append("/usr/bin/mount --bind ")
        .append(q(source.toString()))
        .append(' ')
        .append(q(target))
        .append('\n');
    if (readOnly) s.append("/usr/bin/mount -o remount,bind,ro ").append(q(target)).append('\n');
  }

  private static String q(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** SIGKILL to every process left in a container's cgroup. */
  static void killAll(Path cgroup) {
    try {
      for (String pid : Files.readAllLines(cgroup.resolve("cgroup.procs"))) {
        if (!pid.isBlank())
          ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
      }
    } catch (IOException | RuntimeException e) {
      // gone already
    }
  }

  /**
   * Cgroups of containers of JVMs that are gone (killed before they cleaned up): their processes
   * killed, the cgroups removed.
   */
  private static void sweep(Path mine) {
    try (var jvms = Files.list(mine)) {
      for (Path jvm : jvms.filter(p -> p.getFileName().toString().matches("jvm-\\d+")).toList()) {
        long pid = Long.parseLong(jvm.getFileName().toString().substring(4));
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
        try (var pods = Files.list(jvm)) {
          for (Path c : pods.filter(Files::isDirectory).toList()) {
            killAll(c);
            Files.delete(c);
          }
          Files.delete(jvm);
        } catch (IOException e) {
          // not empty yet: the next sweep
        }
      }
    } catch (IOException e) {
      // nothing to sweep
    }
  }

  /**
   * This JVM's folder of container cgroups under {@code mine}, the memory controller enabled below
   * it on v2.
   */
  private static Path ours(Path mine, boolean v2) throws IOException {
    sweep(mine);
    Path jvm = Files.createDirectories(mine.resolve("jvm-" + ProcessHandle.current().pid()));
    if (v2 && !Files.readString(jvm.resolve("cgroup.subtree_control")).contains("memory")) {
      Files.writeString(jvm.resolve("cgroup.subtree_control"), "+memory");
    }
    return jvm;
  }

  /** Whether containers get their memory limit (a writable memory cgroup hierarchy was found). */
  public boolean memoryLimits() {
    return memoryCgroups != null;
  }

  /**
   * The folder under which this runtime makes one memory cgroup per container, or null: cgroup v1's
   * memory hierarchy, or under cgroup v2 a child of the root with the memory controller enabled for
   * its children (the root's own subtree_control enabled first if need be). Top-level, as a
   * kubelet's kubepods slice is: the containers are not limited by this JVM's own cgroup.
   */
  private static Path memoryCgroupRoot() {
    Path v1 = Path.of("/sys/fs/cgroup/memory");
    Path v2 = Path.of("/sys/fs/cgroup");
    try {
      if (Files.exists(v1.resolve("memory.limit_in_bytes"))) {
        Path mine = Files.createDirectories(v1.resolve("coffer-pods"));
        if (Files.exists(mine.resolve("memory.limit_in_bytes"))) return ours(mine, false);
      } else if (Files.exists(v2.resolve("cgroup.subtree_control"))) {
        if (!Files.readString(v2.resolve("cgroup.subtree_control")).contains("memory")) {
          Files.writeString(v2.resolve("cgroup.subtree_control"), "+memory");
        }
        Path mine = Files.createDirectories(v2.resolve("coffer-pods"));
        if (!Files.readString(mine.resolve("cgroup.subtree_control")).contains("memory")) {
          Files.writeString(mine.resolve("cgroup.subtree_control"), "+memory");
        }
        Path jvm = ours(mine, true);
        Path probe = Files.createDirectories(jvm.resolve("probe"));
        boolean ok = Files.exists(probe.resolve("memory.max"));
        Files.delete(probe);
        if (ok) return jvm;
      }
    } catch (IOException e) {
      System.err.println("image runtime: cannot set up memory cgroups (" + e.getMessage() + ")");
    }
    System.err.println(
        "image runtime: no writable memory cgroup: containers run without their memory limit");
    return null;
  }

  private static String blobPath(String digest) {
    return "blobs/" + digest.replace(':', '/');
  }

  private static Path blob(Path archive, Path staging, String digest)
      throws IOException, InterruptedException {
    run(List.of("tar", "-xf", archive.toString(), "-C", staging.toString(), blobPath(digest)));
    return staging.resolve(blobPath(digest));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array.isArray()) array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** Runs a command of this machine, failing with its output. */
  public static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0)
      throw new IOException(String.join(" ", cmd) + " failed: " + out.trim());
    return out;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try {
      run(List.of("rm", "-rf", dir.toString()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
