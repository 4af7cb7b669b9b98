package io.coffer.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetentionTest {
  static final ZoneId UTC = ZoneId.of("UTC");
  static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");

  /** One succeeded nightly backup per day for 120 days, newest first names n0, n1, ... */
  static List<Retention.Item> nightlies() {
    List<Retention.Item> out = new ArrayList<>();
    for (int d = 0; d < 120; d++)
      out.add(
          new Retention.Item(
              "n" + d,
              NOW.minus(Duration.ofDays(d)).minusSeconds(3600 * 10),
              Retention.State.SUCCEEDED));
    return out;
  }

  @Test
  void givenThirtyDaysPlusWeeklyAndMonthlyKeeps_thenOlderBackupsGoExceptTheKeptWeeksAndMonths() {
    Set<String> delete =
        Retention.prune(
            nightlies(), new Retention.Policy(Duration.ofDays(30), null, null, 8, 6, 3), NOW, UTC);
    // within 30 days: all kept
    for (int d = 0; d < 30; d++) assertThat(delete).doesNotContain("n" + d);
    int kept = 120 - delete.size();
    // 30 daily + the weekly keeps beyond (8 weeks reach ~day 56) + monthly keeps beyond (6 months
    // reach all 4 months here)
    assertThat(kept).isBetween(30 + 2, 30 + 8);
    assertThat(delete).contains("n60", "n100", "n119");
    // the newest backup of each of the last months stays: 31 Oct (n26), 30 Sep (n57), 31 Aug (n87),
    // 31 Jul (n118)
    assertThat(delete).doesNotContain("n26", "n57", "n87", "n118");
  }

  @Test
  void givenKeepLast_thenOnlyTheNewestStay_andFailedOnesAreCountedApart() {
    List<Retention.Item> items = new ArrayList<>(nightlies().subList(0, 10));
    for (int i = 0; i < 6; i++)
      items.add(new Retention.Item("f" + i, NOW.minusSeconds(60L * i), Retention.State.FAILED));
    items.add(new Retention.Item("running", NOW, Retention.State.RUNNING));
    Set<String> delete =
        Retention.prune(items, new Retention.Policy(null, 3, null, null, null, 2), NOW, UTC);
    assertThat(delete)
        .containsExactlyInAnyOrder(
            "n3", "n4", "n5", "n6", "n7", "n8", "n9", "f2", "f3", "f4", "f5");
  }

  @Test
  void givenNoRule_thenEverySucceededBackupIsKept() {
    assertThat(
            Retention.prune(
                nightlies(), new Retention.Policy(null, null, null, null, null, 3), NOW, UTC))
        .isEmpty();
    assertThat(Retention.parseAge("30d")).isEqualTo(Duration.ofDays(30));
    assertThat(Retention.parseAge("2w")).isEqualTo(Duration.ofDays(14));
  }
}
