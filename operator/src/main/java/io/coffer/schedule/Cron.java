package io.coffer.schedule;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;
import java.util.Map;

/**
 * A 5-field cron expression (minute hour day-of-month month day-of-week, with *, lists, ranges,
 * steps and names) or @hourly / @daily / @weekly / @monthly / @yearly, evaluated in a time zone. As
 * in Vixie cron, when both day fields are restricted a day matches either. Daylight saving: a time
 * that does not exist that day (spring forward) fires at the same wall-clock time shifted by the
 * gap; a time that occurs twice (fall back) fires once, at its first occurrence.
 */
public final class Cron {
  private static final Map<String, String> MACROS =
      Map.of(
          "@hourly",
          "0 * * * *",
          "@daily",
          "0 0 * * *",
          "@midnight",
          "0 0 * * *",
          "@weekly",
          "0 0 * * 0",
          "@monthly",
          "0 0 1 * *",
          "@yearly",
          "0 0 1 1 *",
          "@annually",
          "0 0 1 1 *");
  private static final String[] MONTHS = {
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"
  };
  private static final String[] DAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
  private final String expression;
  private final BitSet minutes;
  private final BitSet hours;
  private final BitSet daysOfMonth;
  private final BitSet months;
  private final BitSet daysOfWeek;
  private final boolean domRestricted;
  private final boolean dowRestricted;

  private Cron(String expression, String[] f) {
    this.expression = expression;
    minutes = field(f[0], 0, 59, null, "minute");
    hours = field(f[1], 0, 23, null, "hour");
    daysOfMonth = field(f[2], 1, 31, null, "day of month");
    months = field(f[3], 1, 12, MONTHS, "month");
    daysOfWeek = field(f[4], 0, 7, DAYS, "day of week");
    if (daysOfWeek.get(7)) daysOfWeek.set(0);
    domRestricted = !f[2].equals("*") && !f[2].equals("?");
    dowRestricted = !f[4].equals("*") && !f[4].equals("?");
  }

  /** Parses an expression; throws IllegalArgumentException with a message a person can act on. */
  public static Cron parse(String expression) {
    String e = expression == null ? "" : expression.trim();
    String expanded = MACROS.getOrDefault(e.toLowerCase(Locale.ROOT), e);
    String[] f = expanded.split("\\s+");
    if (f.length != 5) {
      throw new IllegalArgumentException(
          "cron '"
              + expression
              + "' must have 5 fields (minute hour day-of-month month day-of-week) or be @daily, @weekly, @monthly, @hourly");
    }
    return new Cron(expression, f);
  }

  private static BitSet field(String spec, int min, int max, String[] names, String what) {
    BitSet bits = new BitSet(max + 1);
    for (String part : spec.split(",")) {
      String range = part;
      int step = 1;
      int slash = part.indexOf('/');
      if (slash >= 0) {
        range = part.substring(0, slash);
        step = number(part.substring(slash + 1), 1, max, null, 0, what);
      }
      int lo;
      int hi;
      if (range.equals("*") || range.equals("?")) {
        lo = min;
        hi = max;
      } else if (range.contains("-")) {
        String[] lh = range.split("-", 2);
        lo = number(lh[0], min, max, names, min, what);
        hi = number(lh[1], min, max, names, min, what);
        if (hi < lo)
          throw new IllegalArgumentException(
              "cron " + what + " range '" + range + "' runs backwards");
      } else {
        lo = number(range, min, max, names, min, what);
        hi = slash >= 0 ? max : lo;
      }
      for (int i = lo; i <= hi; i += step) bits.set(i);
    }
    return bits;
  }

  private static int number(String s, int min, int max, String[] names, int base, String what) {
    if (names != null) {
      for (int i = 0; i < names.length; i++) {
        if (names[i].equalsIgnoreCase(s)) return i + base;
      }
    }
    try {
      int v = Integer.parseInt(s);
      if (v < min || v > max)
        throw new IllegalArgumentException(
            "cron " + what + " '" + s + "' is out of range " + min + "-" + max);
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "cron " + what + " '" + s + "' is not a number" + (names != null ? " or a name" : ""));
    }
  }

  private boolean dayMatches(LocalDate d) {
    if (!months.get(d.getMonthValue())) return false;
    boolean dom = daysOfMonth.get(d.getDayOfMonth());
    boolean dow =
        daysOfWeek.get(d.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : d.getDayOfWeek().getValue());
    if (domRestricted && dowRestricted) return dom || dow;
    return dom && dow;
  }

  /**
   * The first firing strictly after {@code after}, or null if there is none within 5 years (e.g. 30
   * February).
   */
  public ZonedDateTime next(ZonedDateTime after, ZoneId zone) {
    ZonedDateTime from = after.withZoneSameInstant(zone);
    LocalDate day = from.toLocalDate();
    for (int i = 0; i < 366 * 5; i++, day = day.plusDays(1)) {
      if (!dayMatches(day)) continue;
      for (int h = hours.nextSetBit(0); h >= 0; h = hours.nextSetBit(h + 1)) {
        for (int m = minutes.nextSetBit(0); m >= 0; m = minutes.nextSetBit(m + 1)) {
          LocalDateTime local = LocalDateTime.of(day, LocalTime.of(h, m));
          ZonedDateTime t =
              ZonedDateTime.ofLocal(
                  local, zone, null); // gap: shifted forward; overlap: the earlier offset
          if (t.isAfter(after)) return t.truncatedTo(ChronoUnit.MINUTES);
        }
      }
    }
    return null;
  }

  /**
   * The latest firing in (after, until], or null: at most one catch-up run, however long the
   * downtime.
   */
  public ZonedDateTime latestBetween(ZonedDateTime after, ZonedDateTime until, ZoneId zone) {
    ZonedDateTime last = null;
    ZonedDateTime t = next(after, zone);
    int guard = 0;
    while (t != null && !t.isAfter(until)) {
      last = t;
      if (++guard > 10_000) {
        // a long downtime with a frequent schedule: jump close to the end instead of walking every
        // minute
        ZonedDateTime near = until.minusDays(1);
        if (near.isAfter(t)) t = near;
      }
      t = next(t, zone);
    }
    return last;
  }

  @Override
  public String toString() {
    return expression;
  }
}
