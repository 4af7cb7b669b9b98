package io.coffer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonLogLinesTest {
  @Test
  void givenSlf4jLinesAndAStackTrace_whenWrittenThroughTheConverter_thenEachLineIsOneJsonObject()
      throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    PrintStream err =
        new PrintStream(
            new JsonLogLines(
                new PrintStream(sink, true, StandardCharsets.UTF_8),
                Clock.fixed(Instant.parse("2026-11-26T10:00:00Z"), ZoneOffset.UTC)),
            true,
            StandardCharsets.UTF_8);
    err.println(
        "2026-11-26T16:20:29.123+0100 INFO BackupReconciler - backup rayerp/nightly: \"Running\" -> Succeeded");
    err.print("2026-11-26T16:20:30.000+0000 WARN Operator - lost the lease\n");
    new IllegalStateException("boom").printStackTrace(err);
    err.println("coffer operator started (all namespaces)");
    List<JsonNode> lines = new ArrayList<>();
    for (String l : sink.toString(StandardCharsets.UTF_8).split("\n"))
      lines.add(new ObjectMapper().readTree(l));
    assertThat(lines.get(0).get("ts").asText()).isEqualTo("2026-11-26T15:20:29.123Z");
    assertThat(lines.get(0).get("level").asText()).isEqualTo("INFO");
    assertThat(lines.get(0).get("logger").asText()).isEqualTo("BackupReconciler");
    assertThat(lines.get(0).get("msg").asText())
        .isEqualTo("backup rayerp/nightly: \"Running\" -> Succeeded");
    assertThat(lines.get(1).get("level").asText()).isEqualTo("WARN");
    assertThat(lines.get(2).get("msg").asText()).isEqualTo("java.lang.IllegalStateException: boom");
    assertThat(lines.get(2).get("level").asText()).isEqualTo("ERROR");
    assertThat(lines.get(3).get("level").asText()).isEqualTo("ERROR");
    assertThat(lines.get(3).get("msg").asText()).startsWith("\tat io.coffer.cli.JsonLogLinesTest");
    JsonNode last = lines.get(lines.size() - 1);
    assertThat(last.get("msg").asText()).isEqualTo("coffer operator started (all namespaces)");
    assertThat(last.get("ts").asText()).isEqualTo("2026-11-26T10:00:00Z");
    assertThat(last.has("logger")).isFalse();
  }
}
