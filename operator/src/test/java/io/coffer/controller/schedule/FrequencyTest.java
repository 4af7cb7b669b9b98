package io.coffer.controller.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.api.BackupScheduleSpec;
import org.junit.jupiter.api.Test;

class FrequencyTest {
  static BackupScheduleSpec spec(
      BackupScheduleSpec.Frequency.Every every,
      String time,
      BackupScheduleSpec.Frequency.Day dow,
      Integer dom) {
    BackupScheduleSpec s = new BackupScheduleSpec();
    s.frequency = new BackupScheduleSpec.Frequency();
    s.frequency.every = every;
    s.frequency.time = time;
    s.frequency.dayOfWeek = dow;
    s.frequency.dayOfMonth = dom;
    return s;
  }

  @Test
  void givenStructuredFrequencies_thenTheyBecomeTheRightCron() {
    assertThat(
            ScheduleDecider.cronOf(
                spec(BackupScheduleSpec.Frequency.Every.Daily, "02:05", null, null)))
        .isEqualTo("5 2 * * *");
    assertThat(
            ScheduleDecider.cronOf(
                spec(
                    BackupScheduleSpec.Frequency.Every.Weekly,
                    "23:00",
                    BackupScheduleSpec.Frequency.Day.Sunday,
                    null)))
        .isEqualTo("0 23 * * 0");
    assertThat(
            ScheduleDecider.cronOf(
                spec(
                    BackupScheduleSpec.Frequency.Every.Weekly,
                    "01:30",
                    BackupScheduleSpec.Frequency.Day.Monday,
                    null)))
        .isEqualTo("30 1 * * 1");
    assertThat(
            ScheduleDecider.cronOf(
                spec(BackupScheduleSpec.Frequency.Every.Monthly, "04:00", null, 1)))
        .isEqualTo("0 4 1 * *");
  }
}
