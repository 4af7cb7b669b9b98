package io.coffer.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Which backups of a schedule to keep. A succeeded backup is kept when any rule keeps it: younger
 * than {@code maxAge}, among the {@code keepLast} newest, or the newest of one of the {@code
 * keepDaily} / {@code keepWeekly} / {@code keepMonthly} most recent days / ISO weeks / months that
 * have one. With no rule, everything is kept. Failed backups are kept separately: the newest {@code
 * failedHistoryLimit}. Backups still running are never pruned. Pure.
 */
public final class Retention {
  public record Policy(
      Duration maxAge,
      Integer keepLast,
      Integer keepDaily,
      Integer keepWeekly,
      Integer keepMonthly,
      int failedHistoryLimit) {
    boolean hasRule() {
      return maxAge != null
          || keepLast != null
          || keepDaily != null
          || keepWeekly != null
          || keepMonthly != null;
    }
  }

  public enum State {
    RUNNING,
    SUCCEEDED,
    FAILED
  }

  public record Item(String name, Instant time, State state) {}

  private Retention() {}

  /** The names to delete. */
  public static Set<String> prune(List<Item> items, Policy p, Instant now, ZoneId zone) {
    List<Item> ok =
        items.stream()
            .filter(i -> i.state() == State.SUCCEEDED)
            .sorted(Comparator.comparing(Item::time).reversed())
            .toList();
    List<Item> failed =
        items.stream()
            .filter(i -> i.state() == State.FAILED)
            .sorted(Comparator.comparing(Item::time).reversed())
            .toList();
    Set<String> delete = new LinkedHashSet<>();
    for (int i = p.failedHistoryLimit(); i < failed.size(); i++) delete.add(failed.get(i).name());
    if (!p.hasRule()) return delete;
    Set<String> keep = new HashSet<>();
    if (p.maxAge() != null)
      ok.stream()
          .filter(i -> i.time().isAfter(now.minus(p.maxAge())))
          .forEach(i -> keep.add(i.name()));
    if (p.keepLast() != null) ok.stream().limit(p.keepLast()).forEach(i -> keep.add(i.name()));
    keepPerPeriod(ok, p.keepDaily(), i -> date(i, zone).toString(), keep);
    keepPerPeriod(
        ok,
        p.keepWeekly(),
        i -> {
          LocalDate d = date(i, zone);
          return d.get(IsoFields.WEEK_BASED_YEAR) + "-W" + d.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
        },
        keep);
    keepPerPeriod(
        ok,
        p.keepMonthly(),
        i -> {
          LocalDate d = date(i, zone);
          return d.getYear() + "-" + d.getMonthValue();
        },
        keep);
    for (Item i : ok) {
      if (!keep.contains(i.name())) delete.add(i.name());
    }
    return delete;
  }

  private static LocalDate date(Item i, ZoneId zone) {
    return i.time().atZone(zone).toLocalDate();
  }

  /**
   * Newest first: the first item of each new period is that period's newest; stop after n periods.
   */
  private static void keepPerPeriod(
      List<Item> newestFirst, Integer n, Function<Item, String> period, Set<String> keep) {
    if (n == null || n <= 0) return;
    List<String> seen = new ArrayList<>();
    for (Item i : newestFirst) {
      String key = period.apply(i);
      if (seen.contains(key)) continue;
      if (seen.size() == n) break;
      seen.add(key);
      keep.add(i.name());
    }
  }

  /** Parses 30d, 12h, 90m, 2w. */
  public static Duration parseAge(String s) {
    if (s == null) return null;
    if (!s.matches("[0-9]+[mhdw]"))
      throw new IllegalArgumentException(
          "maxAge '" + s + "' must be a number and a unit m, h, d or w, e.g. 30d");
    long n = Long.parseLong(s.substring(0, s.length() - 1));
    return switch (s.charAt(s.length() - 1)) {
      case 'm' -> Duration.ofMinutes(n);
      case 'h' -> Duration.ofHours(n);
      case 'd' -> Duration.ofDays(n);
      default -> Duration.ofDays(7 * n);
    };
  }
}
