package io.coffer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The command line reaches the engine through its front door only: {@code Engine} (one call per
 * request kind and per catalogue question), the {@code Secrets} it reads keys with, the shared
 * ground ({@code base}) and the records its answers are made of. Read from the import lines of
 * cli/src/main (the house style imports every name).
 */
class FrontDoorTest {
  static final Set<String> DOOR =
      Set.of(
          "io.coffer.engine.Engine",
          "io.coffer.engine.Secrets",
          "io.coffer.engine.Confirmation",
          "io.coffer.engine.BackupDescriptor",
          "io.coffer.engine.archive.Manifest");

  @Test
  void givenTheCommandLine_thenItImportsOnlyTheEnginesFrontDoor() throws IOException {
    Pattern engineImport = Pattern.compile("(?m)^import\\s+(io\\.coffer\\.engine\\.[\\w.]+);");
    Set<String> behind = new TreeSet<>();
    int imports = 0;
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = engineImport.matcher(Files.readString(f));
        while (m.find()) {
          imports++;
          String name = m.group(1);
          if (!DOOR.contains(name) && !name.startsWith("io.coffer.engine.base.")) {
            behind.add(f.getFileName() + ": " + name);
          }
        }
      }
    }
    assertThat(imports).as("the command line uses the engine").isGreaterThan(10);
    assertThat(behind)
        .as("engine classes the command line reaches behind the front door")
        .isEmpty();
  }
}
