package io.coffer.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.engine.base.Json;
import io.coffer.protocol.BackupResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResultsTest {
  @Test
  void
      givenThousandsOfCollections_whenBuildingTheResult_thenItFitsATerminationMessageAndKeepsTheTotals() {
    BackupDescriptor d =
        new BackupDescriptor(
            BackupDescriptor.FORMAT,
            1,
            "big",
            "2026-11-26T00:00:00Z",
            "2026-11-26T00:01:00Z",
            "database",
            "archive.zip",
            123,
            "ab".repeat(32),
            456,
            false,
            null,
            null,
            "manifest.json",
            "cd".repeat(32),
            3000,
            3_000_000,
            0,
            50,
            "coffer",
            null,
            null);
    Map<String, Long> counts = new LinkedHashMap<>();
    for (int i = 0; i < 3000; i++) counts.put("erp.collection_with_a_long_name_" + i, 1000L);
    List<String> skipped = new ArrayList<>();
    for (int i = 0; i < 50; i++)
      skipped.add("files/uploads/some/deep/path/file-" + i + ": permission denied");
    BackupResult r =
        Results.backup(
            d,
            "s3://bucket/prefix at https://s3.example",
            60.0,
            Map.of("hr", 5L),
            counts,
            50,
            skipped,
            new io.coffer.engine.storage.Storage.ObjectLock("COMPLIANCE", 3650),
            java.time.Instant.parse("2036-12-07T00:00:00Z"));
    assertThat(Json.write(r).getBytes(StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(Results.MAX_BYTES);
    assertThat(r.collections()).isEqualTo(3000);
    assertThat(r.lockedUntil())
        .as("the lock survives the shortening")
        .isEqualTo("2036-12-07T00:00:00Z");
    assertThat(r.documents()).isEqualTo(3_000_000);
    assertThat(r.collectionCountsTruncated()).isTrue();
    assertThat(r.warnings()).isEqualTo(50);
  }
}
