package io.coffer.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The CRDs in crds/ are generated from the API types; this fails when the committed copy is stale. */
class CrdFilesTest {
  static final String HOW = "crds/ is stale: run `mvn -q -pl operator process-classes && cp operator/target/crds/*.yml crds/ && cp crds/*.yml charts/coffer/crds/` and commit";

  @Test
  void givenTheApiTypes_whenCrdsAreGenerated_thenTheCommittedCopiesAreIdentical() throws IOException {
    Path generated = Path.of("target/crds");
    Path committed = Path.of("../crds");
    List<Path> files;
    try (Stream<Path> s = Files.list(generated)) {
      files = s.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
    }
    assertThat(files).as("generated CRDs").isNotEmpty();
    try (Stream<Path> s = Files.list(committed)) {
      assertThat(s.filter(p -> p.toString().endsWith(".yml")).map(p -> p.getFileName().toString()).sorted().toList()).as(HOW)
          .isEqualTo(files.stream().map(p -> p.getFileName().toString()).toList());
    }
    for (Path f : files) {
      assertThat(Files.readString(committed.resolve(f.getFileName()))).as(HOW + " (" + f.getFileName() + ")").isEqualTo(Files.readString(f));
    }
  }
}
