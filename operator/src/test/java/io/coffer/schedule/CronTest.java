package io.coffer.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class CronTest {
  static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  static final ZoneId UTC = ZoneId.of("UTC");

  static ZonedDateTime t(String iso, ZoneId z) {
    return LocalDateTime.parse(iso).atZone(z);
  }

  @Test
  void givenCommonExpressions_thenTheNextRunIsRight() {
    assertThat(Cron.parse("@daily").next(t("2026-11-26T10:00", UTC), UTC))
        .isEqualTo(t("2026-11-27T00:00", UTC));
    assertThat(Cron.parse("0 2 * * *").next(t("2026-11-26T01:59", UTC), UTC))
        .isEqualTo(t("2026-11-26T02:00", UTC));
    assertThat(Cron.parse("0 2 * * *").next(t("2026-11-26T02:00", UTC), UTC))
        .isEqualTo(t("2026-11-27T02:00", UTC));
    assertThat(Cron.parse("*/15 9-17 * * MON-FRI").next(t("2026-11-27T17:50", UTC), UTC))
        .isEqualTo(t("2026-11-30T09:00", UTC));
    assertThat(Cron.parse("0 3 1 * *").next(t("2026-11-26T00:00", UTC), UTC))
        .isEqualTo(t("2026-12-01T03:00", UTC));
    assertThat(Cron.parse("@weekly").next(t("2026-11-26T00:00", UTC), UTC))
        .isEqualTo(t("2026-11-29T00:00", UTC)); // Sunday
    assertThat(Cron.parse("0 0 29 2 *").next(t("2026-03-01T00:00", UTC), UTC))
        .isEqualTo(t("2028-02-29T00:00", UTC));
    // both day fields restricted: either matches (the 13th or any Friday)
    assertThat(Cron.parse("0 0 13 * 5").next(t("2026-11-26T00:00", UTC), UTC))
        .isEqualTo(t("2026-11-27T00:00", UTC));
  }

  @Test
  void givenATimeZone_thenRunsFollowItsWallClockAcrossDaylightSaving() {
    Cron nightly = Cron.parse("30 2 * * *");
    // spring forward in Berlin, 2027-03-28: 02:30 does not exist, it runs at 03:30 local (01:30
    // UTC)
    ZonedDateTime gap = nightly.next(t("2027-03-27T12:00", BERLIN), BERLIN);
    assertThat(gap.toLocalDateTime().toString()).isEqualTo("2027-03-28T03:30");
    assertThat(gap.toInstant().toString()).isEqualTo("2027-03-28T01:30:00Z");
    // fall back, 2026-10-25: 02:30 happens twice, it runs once
    Cron early = Cron.parse("30 2 * * *");
    ZonedDateTime first = early.next(t("2026-10-24T12:00", BERLIN), BERLIN);
    assertThat(first.toInstant().toString()).isEqualTo("2026-10-25T00:30:00Z");
    assertThat(early.next(first, BERLIN).toLocalDate().toString()).isEqualTo("2026-10-26");
    // the same wall-clock time on both sides of the change
    assertThat(nightly.next(t("2027-03-28T12:00", BERLIN), BERLIN).toInstant().toString())
        .isEqualTo("2027-03-29T00:30:00Z");
  }

  @Test
  void givenADowntime_thenOnlyTheLatestMissedRunIsCaughtUp() {
    Cron hourly = Cron.parse("@hourly");
    ZonedDateTime latest =
        hourly.latestBetween(t("2026-11-20T00:30", UTC), t("2026-11-26T10:15", UTC), UTC);
    assertThat(latest).isEqualTo(t("2026-11-26T10:00", UTC));
    assertThat(hourly.latestBetween(t("2026-11-26T10:00", UTC), t("2026-11-26T10:59", UTC), UTC))
        .isNull();
  }

  @Test
  void givenBadExpressions_thenTheMessageSaysWhatIsWrong() {
    assertThatThrownBy(() -> Cron.parse("0 2 * *")).hasMessageContaining("must have 5 fields");
    assertThatThrownBy(() -> Cron.parse("61 * * * *"))
        .hasMessageContaining("minute '61' is out of range 0-59");
    assertThatThrownBy(() -> Cron.parse("0 0 * FOO *"))
        .hasMessageContaining("month 'FOO' is not a number or a name");
    assertThatThrownBy(() -> Cron.parse("0 5-2 * * *")).hasMessageContaining("runs backwards");
    assertThat(Cron.parse("0 0 30 2 *").next(t("2026-01-01T00:00", UTC), UTC)).isNull();
  }
}
