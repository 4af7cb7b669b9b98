package io.coffer.engine.pitr;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Printable;
import io.coffer.protocol.Field;
import io.coffer.protocol.OplogWindow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What the oplog archive and the point-in-time backups beside it let a restore reach. The slices
 * form stretches where each starts at or before the end of the one before; between stretches lies a
 * gap. A stretch is a window from the oldest point-in-time backup that lies in it (a restore starts
 * from a backup and replays what followed) to the last whole second it covers. A stretch without
 * such a backup reaches nothing yet: the next backup opens it.
 */
public final class Windows {
  /** How many gaps a window report names at most (the newest). */
  static final int MAX_GAPS = 20;

  /** A point-in-time backup: its id and its moment (whole seconds, as its descriptor says). */
  public record Base(String id, Instant at) {}

  /**
   * The point-in-time backups of a storage location, and whether every backup there could be read
   * ({@code whole}: false while one is being written, or its descriptor failed to read; pruning
   * waits then, as a backup it cannot see may need the slices).
   */
  public record Bases(List<Base> list, boolean whole) {}

  /** A stretch of contiguous slices: entries after {@code from} up to {@code to}. */
  record Stretch(long from, long to, List<Slice> slices) {
    Instant until() {
      return Slice.second(to).minusSeconds(1);
    }

    boolean holds(Base b) {
      return Long.compareUnsigned(Slice.at(b.at()), from) >= 0 && !b.at().isAfter(until());
    }
  }

  /** The stretches, oldest first, and the gaps between them. */
  record Cover(List<Stretch> stretches, List<OplogWindow.Gap> gaps) {}

  static Cover cover(List<Slice> sorted) {
    List<Stretch> out = new ArrayList<>();
    List<OplogWindow.Gap> gaps = new ArrayList<>();
    long from = 0;
    long to = 0;
    List<Slice> cur = null;
    for (Slice s : sorted) {
      if (cur != null && Long.compareUnsigned(s.from(), to) <= 0) {
        cur.add(s);
        if (Long.compareUnsigned(s.to(), to) > 0) to = s.to();
        continue;
      }
      if (cur != null) {
        out.add(new Stretch(from, to, List.copyOf(cur)));
        gaps.add(
            new OplogWindow.Gap(
                Slice.second(to).toString(),
                Slice.second(s.from()).toString(),
                s.gap() != null
                    ? Printable.escape(s.gap())
                    : "no slice of the oplog archive covers it"));
      }
      cur = new ArrayList<>(List.of(s));
      from = s.from();
      to = s.to();
    }
    if (cur != null) out.add(new Stretch(from, to, List.copyOf(cur)));
    return new Cover(out, gaps);
  }

  /** The window report: the newest window a restore can reach, the archive's size, its gaps. */
  public static OplogWindow report(
      Slices.Listing listing, List<Base> bases, Long position, Instant checkedAt) {
    Cover c = cover(listing.slices());
    String from = null;
    String until = null;
    for (int i = c.stretches().size() - 1; i >= 0 && from == null; i--) {
      Stretch st = c.stretches().get(i);
      Base oldest = oldestIn(st, bases);
      if (oldest != null) {
        from = oldest.at().toString();
        until = st.until().toString();
      }
    }
    long entries = 0;
    long bytes = 0;
    String last = null;
    for (Slice s : listing.slices()) {
      entries += s.entries();
      bytes += s.storedSize();
      if (last == null || (s.createdAt() != null && s.createdAt().compareTo(last) > 0))
        last = s.createdAt();
    }
    List<OplogWindow.Gap> gaps = c.gaps();
    if (gaps.size() > MAX_GAPS) gaps = gaps.subList(gaps.size() - MAX_GAPS, gaps.size());
    return new OplogWindow(
        null,
        from,
        until,
        last,
        checkedAt == null ? null : checkedAt.toString(),
        position == null ? null : Slice.time(position),
        listing.slices().size(),
        entries,
        bytes,
        gaps);
  }

  private static Base oldestIn(Stretch st, List<Base> bases) {
    return bases.stream().filter(st::holds).min(Comparator.comparing(Base::at)).orElse(null);
  }

  /**
   * A restore to the end of second {@code until}: the backup it starts from and the slices it
   * replays after that backup's moment, up to (not including) {@code limit}; {@code from}: where
   * their contiguous stretch starts (the backup's own end must not lie before it).
   */
  public record Plan(Base base, Instant until, long limit, long from, List<Slice> slices) {}

  /**
   * The plan for {@code until}, from {@code backupId} when given (else the newest point-in-time
   * backup before it); refused, with the windows in the message, when no window holds it.
   */
  public static Plan plan(
      Slices.Listing listing, List<Base> bases, Instant until, String backupId, String where) {
    long limit = Slice.at(until.plusSeconds(1));
    Cover c = cover(listing.slices());
    Stretch st = null;
    for (Stretch s : c.stretches())
      if (Long.compareUnsigned(s.from(), limit) < 0 && Long.compareUnsigned(limit, s.to()) <= 0)
        st = s;
    Base base = null;
    if (st != null) {
      for (Base b : bases) {
        if (!st.holds(b) || b.at().isAfter(until)) continue;
        if (backupId != null ? b.id().equals(backupId) : base == null || b.at().isAfter(base.at()))
          base = b;
      }
    }
    if (base == null) {
      String named =
          backupId == null
              ? ""
              : bases.stream().anyMatch(b -> b.id().equals(backupId))
                  ? " from backup " + backupId
                  : " from backup "
                      + backupId
                      + " (it is not a point-in-time backup of this storage)";
      throw CofferException.usage(
          "no restore reaches "
              + until
              + named
              + ": "
              + describe(c, bases, where)
              + "; give "
              + Field.UNTIL.mark()
              + " within a window");
    }
    List<Slice> chosen = new ArrayList<>();
    long baseAt = Slice.at(base.at());
    for (Slice s : st.slices())
      if (Long.compareUnsigned(s.to(), baseAt) > 0 && Long.compareUnsigned(s.from(), limit) < 0)
        chosen.add(s);
    return new Plan(base, until, limit, st.from(), List.copyOf(chosen));
  }

  /** Every window and gap, for a message. */
  static String describe(Cover c, List<Base> bases, String where) {
    List<String> windows = new ArrayList<>();
    for (Stretch st : c.stretches()) {
      Base oldest = oldestIn(st, bases);
      if (oldest != null) windows.add(oldest.at() + " to " + st.until());
    }
    String w =
        c.stretches().isEmpty()
            ? "the oplog archive in " + where + " holds no slice (is an archiver running?)"
            : windows.isEmpty()
                ? "the oplog archive in "
                    + where
                    + " covers no point-in-time backup yet (the next backup opens a window)"
                : "the oplog archive in " + where + " reaches " + String.join(", ", windows);
    List<OplogWindow.Gap> gaps = c.gaps();
    if (gaps.isEmpty()) return w;
    OplogWindow.Gap g = gaps.get(gaps.size() - 1);
    return w
        + (gaps.size() > 1 ? "; " + gaps.size() + " gaps, the newest" : "; a gap")
        + " from "
        + g.from()
        + " to "
        + g.to()
        + " ("
        + g.reason()
        + ")";
  }
}
