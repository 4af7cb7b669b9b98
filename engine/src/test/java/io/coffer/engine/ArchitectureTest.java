package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine's packages form layers, read from the sources' import lines (every name is imported:
 * the build's formatter and house style keep it so): each package uses only the ones below it, so
 * there is no cycle and nothing points back up; callers outside the engine come in through {@link
 * Engine}.
 */
class ArchitectureTest {
  /** Bottom first: a package may use those before it in this list, never one after it. */
  static final List<String> LAYERS =
      List.of(
          "base",
          "io",
          "fs",
          "crypto",
          "storage",
          "archive",
          "incremental",
          "files",
          "mongo",
          "mongodump",
          "pitr",
          "");

  static final Pattern IMPORT =
      Pattern.compile("(?m)^import\\s+(?:static\\s+)?io\\.coffer\\.engine\\.([\\w.]*?)\\.?[A-Z]");

  static Map<String, Set<String>> uses(Path root, String prefix) throws IOException {
    Map<String, Set<String>> uses = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String pkg = root.relativize(f.getParent()).toString().replace('/', '.');
        String src = Files.readString(f);
        Matcher m = IMPORT.matcher(src);
        while (m.find()) {
          String used = m.group(1);
          if (!used.equals(pkg)) uses.computeIfAbsent(pkg, k -> new TreeSet<>()).add(used);
        }
        // a fully qualified name in the code would hide a dependency from this test
        String code = src.replaceAll("(?m)^(import|package) .*$", "");
        assertThat(code)
            .as(f + " names a class in full instead of importing it")
            .doesNotContainPattern("[^\\w.\"]" + Pattern.quote(prefix) + "\\.[a-z]");
        assertThat(code)
            .as(f + " names a library class in full instead of importing it")
            .doesNotContainPattern(
                "[^\\w.\"](java|javax|org\\.bson|com\\.mongodb|net\\.lingala)(\\.[a-z]\\w*)*\\.[A-Z]");
      }
    }
    return uses;
  }

  @Test
  void givenTheEnginesPackages_thenEachUsesOnlyThoseBelowIt() throws IOException {
    Map<String, Set<String>> uses =
        uses(Path.of("src/main/java/io/coffer/engine"), "io.coffer.engine");
    List<String> upward = new ArrayList<>();
    for (var e : uses.entrySet()) {
      assertThat(LAYERS)
          .as("package io.coffer.engine." + e.getKey() + " has its layer")
          .contains(e.getKey());
      for (String used : e.getValue()) {
        assertThat(LAYERS).as("package io.coffer.engine." + used + " has its layer").contains(used);
        if (LAYERS.indexOf(used) >= LAYERS.indexOf(e.getKey()))
          upward.add(e.getKey() + " -> " + used);
      }
    }
    assertThat(upward)
        .as("packages that use one at their level or above (a cycle or an arrow back up)")
        .isEmpty();
    assertThat(uses.get("base")).as("base uses nothing of the engine").isNull();
  }

  /**
   * What the engine's top package shows outside it: the front door and the records and interfaces
   * its calls take or give. Everything else there (the backup, restore and verify engines, the
   * store, their options) is package-private, so the compiler keeps callers out.
   */
  static final Set<String> FRONT_DOOR =
      Set.of("Engine", "Secrets", "Confirmation", "BackupDescriptor", "StoredBackup");

  @Test
  void givenTheEnginesTopPackage_thenOnlyItsFrontDoorIsPublic() throws IOException {
    Pattern publicType =
        Pattern.compile(
            "(?m)^public\\s+(?:final\\s+|abstract\\s+)?(?:class|record|interface|enum)\\s+(\\w+)");
    Set<String> shown = new TreeSet<>();
    try (Stream<Path> files = Files.list(Path.of("src/main/java/io/coffer/engine"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = publicType.matcher(Files.readString(f));
        while (m.find()) shown.add(m.group(1));
      }
    }
    assertThat(shown)
        .as("public types of io.coffer.engine")
        .containsExactlyInAnyOrderElementsOf(FRONT_DOOR);
  }
}
