package io.coffer.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CRDs in crds/ are generated from the API types; this fails when the committed copy is stale.
 */
class CrdFilesTest {
  static final String HOW =
      "crds/ is stale: run `mvn -q -pl operator process-test-classes && cp operator/target/crds/*.yml crds/ && cp crds/*.yml charts/coffer/crds/` and commit";

  @Test
  void givenTheApiTypes_whenCrdsAreGenerated_thenTheCommittedCopiesAreIdentical()
      throws IOException {
    Path generated = Path.of("target/crds");
    Path committed = Path.of("../crds");
    List<Path> files;
    try (Stream<Path> s = Files.list(generated)) {
      files = s.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
    }
    assertThat(files).as("generated CRDs").isNotEmpty();
    try (Stream<Path> s = Files.list(committed)) {
      assertThat(
              s.filter(p -> p.toString().endsWith(".yml"))
                  .map(p -> p.getFileName().toString())
                  .sorted()
                  .toList())
          .as(HOW)
          .isEqualTo(files.stream().map(p -> p.getFileName().toString()).toList());
    }
    for (Path f : files) {
      assertThat(Files.readString(committed.resolve(f.getFileName())))
          .as(HOW + " (" + f.getFileName() + ")")
          .isEqualTo(Files.readString(f));
    }
  }

  @Test
  void givenTheDeclaredPrinterColumns_thenKubectlShowsThemInThatOrder_notSortedByPath()
      throws IOException {
    for (var kind : PrinterColumnOrder.KINDS) {
      var crd =
          io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
              Files.readString(
                  Path.of(
                      "../crds",
                      io.fabric8.kubernetes.client.CustomResource.getCRDName(kind) + "-v1.yml")),
              io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class);
      List<String> shown =
          crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns().stream()
              .map(c -> c.getName())
              .toList();
      List<String> declared =
          Arrays.stream(
                  kind.getAnnotationsByType(
                      io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.class))
              .map(a -> a.name())
              .toList();
      assertThat(shown).as(kind.getSimpleName()).isEqualTo(declared);
    }
    assertThat(
            Arrays.stream(
                    Backup.class.getAnnotationsByType(
                        io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.class))
                .map(a -> a.name())
                .toList())
        .startsWith("Phase", "Type", "Progress", "Size", "Duration")
        .endsWith("Age");
  }

  @Test
  void givenColumnsSortedByPath_whenReordered_thenOnlyTheirOrderChanges() {
    String yaml =
        "spec:\n  versions:\n  - additionalPrinterColumns:\n    - jsonPath: \".metadata.creationTimestamp\"\n      name: \"Age\"\n"
            + "      type: \"date\"\n    - jsonPath: \".status.phase\"\n      name: \"Phase\"\n      type: \"string\"\n    name: \"v1alpha1\"\n";
    String ordered = PrinterColumnOrder.reorder(yaml, List.of("Phase", "Age"));
    assertThat(ordered)
        .isEqualTo(
            "spec:\n  versions:\n  - additionalPrinterColumns:\n    - jsonPath: \".status.phase\"\n      name: \"Phase\"\n"
                + "      type: \"string\"\n    - jsonPath: \".metadata.creationTimestamp\"\n      name: \"Age\"\n      type: \"date\"\n    name: \"v1alpha1\"\n");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> PrinterColumnOrder.reorder(yaml, List.of("Phase")))
        .hasMessageContaining("printer column Age is not declared");
  }
}
