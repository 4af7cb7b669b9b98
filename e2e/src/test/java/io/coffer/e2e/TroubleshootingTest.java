package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/troubleshooting.md is keyed by messages the engine and the operator really print: each must
 * exist in the code.
 */
class TroubleshootingTest {
  @Test
  void givenTheTroubleshootingPage_whenItsMessagesAreLookedUp_thenEachIsInTheSources()
      throws Exception {
    StringBuilder code = new StringBuilder();
    for (String module : List.of("protocol", "api", "engine", "operator", "cli")) {
      try (Stream<Path> files = Files.walk(Path.of("..", module, "src/main/java"))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList())
          code.append(Files.readString(f).replace("\\\"", "\""));
      }
    }
    Matcher m =
        Pattern.compile("(?m)^### \"(.+)\"$")
            .matcher(Files.readString(Path.of("../docs/troubleshooting.md")));
    List<String> missing = new ArrayList<>();
    int n = 0;
    while (m.find()) {
      n++;
      if (code.indexOf(m.group(1)) < 0) missing.add(m.group(1));
    }
    assertThat(n).isGreaterThanOrEqualTo(20);
    assertThat(missing)
        .as("messages in docs/troubleshooting.md that the code no longer prints")
        .isEmpty();
  }
}
