package io.coffer.image;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import com.google.cloud.tools.jib.api.buildplan.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Writes the Coffer image as an OCI image archive (and the same image as a {@code docker save}
 * archive), without a Docker engine: Jib (jib-core) from {@code scratch}, two layers from the root
 * file system that {@code build-rootfs.sh} assembled (the runtime and libraries, which change
 * rarely; then the jar), and {@link ImageConfig}. The Dockerfile builds the same image with Docker
 * ({@code ImageConfigTest} keeps the two in agreement).
 *
 * <pre>
 *   java ImageBuilder ROOTFS OUT.tar IMAGE_REFERENCE
 * </pre>
 */
public final class ImageBuilder {
  private ImageBuilder() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println(
          "usage: ImageBuilder ROOTFS OUT.tar IMAGE_REFERENCE (build-rootfs.sh makes ROOTFS)");
      System.exit(2);
    }
    Path rootfs = Path.of(args[0]);
    Path tar = Path.of(args[1]);
    if (!Files.isRegularFile(rootfs.resolve("opt/coffer/coffer.jar"))
        || !Files.isRegularFile(rootfs.resolve("opt/java/bin/java"))) {
      System.err.println(
          "ImageBuilder: "
              + rootfs
              + " is not a Coffer root file system: run image/build-rootfs.sh first");
      System.exit(2);
    }
    JibContainer built = build(rootfs, tar, args[2], ImageFormat.OCI);
    System.out.println(
        "image: "
            + tar
            + " ("
            + args[2]
            + ", "
            + built.getDigest()
            + ", "
            + Files.size(tar) / (1 << 20)
            + " MiB)");
    // the same image in `docker save` form, for `docker load` before Docker 25 and for `kind load
    // image-archive`
    Path docker =
        tar.resolveSibling(
            tar.getFileName().toString().replaceFirst("\\.tar$", "") + "-docker.tar");
    build(rootfs, docker, args[2], ImageFormat.Docker);
    System.out.println("image: " + docker + " (the same, Docker's archive format)");
  }

  public static JibContainer build(Path rootfs, Path tar, String reference, ImageFormat format)
      throws Exception {
    String epoch = System.getenv("SOURCE_DATE_EPOCH");
    Instant created =
        epoch == null || epoch.isBlank()
            ? Instant.EPOCH
            : Instant.ofEpochSecond(Long.parseLong(epoch.trim()));
    Path jar = rootfs.resolve("opt/coffer/coffer.jar");
    JibContainerBuilder image =
        Jib.fromScratch()
            .setFormat(format)
            .setPlatforms(Set.of(new Platform(architecture(), "linux")))
            .setCreationTime(created)
            .setEntrypoint(ImageConfig.ENTRYPOINT)
            .setProgramArguments(ImageConfig.CMD)
            .setUser(ImageConfig.USER)
            .setEnvironment(new TreeMap<>(ImageConfig.ENVIRONMENT))
            .setLabels(new TreeMap<>(ImageConfig.LABELS))
            .addFileEntriesLayer(layer("runtime", rootfs, p -> !p.equals(jar)))
            .addFileEntriesLayer(
                layer("coffer", rootfs, p -> p.equals(jar) || p.equals(jar.getParent())));
    Files.createDirectories(tar.toAbsolutePath().getParent());
    return image.containerize(
        Containerizer.to(TarImage.at(tar).named(ImageReference.parse(reference)))
            .setOfflineMode(true)
            .setToolName("coffer-image")
            .setApplicationLayersCache(tar.resolveSibling("jib-cache"))
            .setBaseImageLayersCache(tar.resolveSibling("jib-cache")));
  }

  /**
   * One layer of the files under {@code rootfs} that {@code include} accepts, with their modes;
   * owned by root unless in a home.
   */
  private static FileEntriesLayer layer(String name, Path rootfs, Predicate<Path> include)
      throws IOException {
    FileEntriesLayer.Builder layer = FileEntriesLayer.builder().setName(name);
    try (Stream<Path> all = Files.walk(rootfs)) {
      for (Path p : (Iterable<Path>) all.sorted()::iterator) {
        if (p.equals(rootfs) || !include.test(p)) continue;
        if (Files.isSymbolicLink(p))
          throw new IOException(
              p + " is a symbolic link: build-rootfs.sh replaces them with copies");
        AbsoluteUnixPath in =
            AbsoluteUnixPath.get("/" + rootfs.relativize(p).toString().replace('\\', '/'));
        String owner = in.toString().startsWith("/home/nonroot") ? ImageConfig.USER : "0:0";
        layer.addEntry(
            p,
            in,
            FilePermissions.fromPosixFilePermissions(
                Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)),
            Instant.ofEpochSecond(1),
            owner);
      }
    }
    return layer.build();
  }

  static String architecture() {
    String arch = System.getProperty("os.arch");
    return switch (arch) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default -> throw new IllegalStateException("no image for architecture " + arch);
    };
  }
}
