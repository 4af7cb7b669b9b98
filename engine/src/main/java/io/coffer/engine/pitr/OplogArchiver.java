package io.coffer.engine.pitr;

import com.mongodb.client.MongoClient;
import io.coffer.engine.archive.HashingOutputStream;
import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.EngineLog;
import io.coffer.engine.base.Json;
import io.coffer.engine.crypto.Encryption;
import io.coffer.engine.incremental.OplogChanges;
import io.coffer.engine.mongo.MongoConnection;
import io.coffer.engine.mongo.OplogTail;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.OplogWindow;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.bson.BsonDocument;
import org.bson.RawBsonDocument;

/**
 * Archives a replica set's oplog into a storage location, slice after slice, until {@link #stop}:
 * the entries of user databases (transactions included; no-ops and the {@code local}, {@code
 * config} and {@code admin} databases' own entries left out) are written as they are read, gzip
 * then age, to the slice's data, and every {@code slice} the slice is closed and its descriptor
 * written (the descriptor publishes it: a slice cut short by a crash is never seen, and the next
 * run reads its entries again). A run starts where the newest slice ends, so nothing is archived
 * twice or passed over; where the oplog no longer reaches back that far, the next slice says so
 * ({@link Slice#gap}), and the window report shows the gap. One archiver writes a storage location
 * at a time (the storage's lock on {@link Slices#FOLDER}). Memory: one entry and the compressor.
 */
public final class OplogArchiver {
  private final Storage storage;
  private final MongoClient client;
  private final String uri;
  private final Encryption encryption;
  private final Duration slice;
  private final Duration poll;
  private final String owner;
  private final String lockToken;
  private final EngineLog log;
  private final Supplier<Windows.Bases> bases;
  private final Consumer<OplogWindow> report;
  private final Clock clock;
  private volatile boolean stopping;
  private final Object wake = new Object();

  public OplogArchiver(
      Storage storage,
      MongoClient client,
      String uri,
      Encryption encryption,
      Duration slice,
      Duration poll,
      String owner,
      String lockToken,
      EngineLog log,
      Supplier<Windows.Bases> bases,
      Consumer<OplogWindow> report,
      Clock clock) {
    this.storage = storage;
    this.client = client;
    this.uri = uri;
    this.encryption = encryption;
    this.slice = slice;
    this.poll = poll;
    this.owner = owner;
    this.lockToken = lockToken;
    this.log = log;
    this.bases = bases;
    this.report = report;
    this.clock = clock;
  }

  /** Asks the run to close its open slice and return; safe from any thread (a SIGTERM hook). */
  public void stop() {
    stopping = true;
    synchronized (wake) {
      wake.notifyAll();
    }
  }

  /** Archives until {@link #stop}; returns the window as it stands after the last slice. */
  public OplogWindow run() throws IOException {
    String[] holder = new String[1];
    Storage.Lock lock = storage.lock(Slices.FOLDER, owner, lockToken, holder);
    if (lock == null) {
      throw new CofferException(
          ExitCode.BUSY,
          "another oplog archiver ("
              + holder[0]
              + ") writes the oplog archive in "
              + storage.describe()
              + "; one archiver per storage location");
    }
    try (lock) {
      int leftovers = storage.removeLeftovers(Slices.FOLDER);
      if (leftovers > 0)
        log.info("oplog archive: removed " + leftovers + " leftovers of an interrupted run");
      Slices.Listing listing = Slices.list(storage);
      for (String p : listing.problems()) log.warn("oplog archive: " + p + "; it is left out");
      Long oldest = OplogChanges.oldest(client);
      Long latest = OplogChanges.latest(client);
      if (oldest == null || latest == null) {
        throw new CofferException(
            ExitCode.SOURCE,
            "cannot read the oplog of "
                + MongoConnection.redact(uri)
                + ": point-in-time recovery needs a replica set (a standalone server and FerretDB"
                + " keep none), a user who may read local.oplog.rs (MongoDB's backup role), and a"
                + " server that answers");
      }
      // resume after every slice named, a damaged one too (its stretch becomes a gap, its data is
      // never written over)
      Long end = listing.namedEnd();
      long from;
      boolean atEntry;
      String gap = null;
      if (end != null) {
        if (Long.compareUnsigned(latest, end) < 0) {
          gap =
              "the oplog's newest entry ("
                  + Slice.time(latest)
                  + ") is older than the archive's end ("
                  + Slice.time(end)
                  + "): another or a restored replica set; a new window starts with its next backup";
          from = latest;
          atEntry = true;
        } else if (!reaches(oldest, end)) {
          gap = rolledOver(end, oldest);
          from = oldest - 1;
          atEntry = false;
        } else {
          from = end;
          atEntry = true;
        }
        log.info("oplog archive: resuming after " + Slice.time(from));
      } else {
        from = latest;
        atEntry = true;
        Windows.Base newest = null;
        for (Windows.Base b : bases.get().list())
          if (newest == null || b.at().isAfter(newest.at())) newest = b;
        if (newest != null
            && reaches(oldest, Slice.at(newest.at()))
            && Long.compareUnsigned(Slice.at(newest.at()), latest) < 0) {
          from = Slice.at(newest.at());
          atEntry = false;
        }
        log.info(
            "oplog archive: starting after "
                + Slice.time(from)
                + (!atEntry ? " (the moment of backup " + newest.id() + ")" : ""));
      }
      OplogTail tail = new OplogTail(client, uri, from, atEntry);
      Writer w = new Writer(from, gap);
      try {
        report(tail.position());
        Instant lastReport = clock.instant();
        long budget = Math.max(poll.toMillis(), 1000);
        while (!stopping) {
          Long first = tail.oldest();
          long got;
          try {
            if (first != null && !reaches(first, tail.position())) throw new OplogTail.Lost(first);
            got = tail.poll(w::write, poll.toMillis(), budget);
          } catch (OplogTail.Lost lost) {
            // the oplog rolled over past the position: what the open slice holds is kept, and
            // the next slice starts after the gap and says so
            long next = lost.first() != 0 ? lost.first() : first != null ? first : tail.position();
            String why = rolledOver(tail.position(), next);
            log.warn("oplog archive: gap: " + why);
            w.close(tail.position(), lock);
            tail = new OplogTail(client, uri, next - 1, false);
            w = new Writer(next - 1, why);
            report(tail.position());
            continue;
          }
          if (Duration.between(w.opened, clock.instant()).compareTo(slice) >= 0) {
            boolean wrote = w.close(tail.position(), lock);
            if (wrote) {
              report(tail.position());
              lastReport = clock.instant();
            }
            w = new Writer(tail.position(), wrote ? null : w.gap);
          }
          if (Duration.between(lastReport, clock.instant()).compareTo(slice) >= 0) {
            report(tail.position());
            lastReport = clock.instant();
          }
          if (got == 0) pause();
        }
        // what was written up to the stop goes into the last slice
        Writer last = w;
        tail.poll(last::write, 1, budget);
        if (w.close(tail.position(), lock))
          log.info("oplog archive: stopped, the open slice written");
        return report(tail.position());
      } finally {
        w.abort(); // a slice not published (a failure) leaves nothing
      }
    }
  }

  /**
   * Whether an oplog whose oldest entry is {@code oldest} still holds everything after {@code
   * position}: its oldest is at or before the position, or the very next one.
   */
  static boolean reaches(long oldest, long position) {
    return Long.compareUnsigned(oldest, position + 1) <= 0;
  }

  private static String rolledOver(long position, long oldest) {
    return "the oplog no longer held the entries after "
        + Slice.time(position)
        + " when the archiver read it (its oldest was "
        + Slice.time(oldest)
        + "): the archiver was stopped or fell behind; make the oplog larger, and take a backup"
        + " to open a new window";
  }

  private void pause() {
    synchronized (wake) {
      if (stopping) return;
      try {
        wake.wait(Math.max(1, poll.toMillis()));
      } catch (InterruptedException e) {
        stopping = true; // as a stop: the open slice is still written
      }
    }
  }

  private OplogWindow report(long position) throws IOException {
    Slices.Listing listing = Slices.list(storage);
    Windows.Bases b = bases.get();
    boolean pruned = prune(listing, b);
    OplogWindow w =
        Windows.report(
            pruned ? Slices.list(storage) : listing, b.list(), position, clock.instant());
    report.accept(w);
    return w;
  }

  /**
   * Removes slices no restore can use any more: those that end before the oldest point-in-time
   * backup's moment (a restore starts from a backup and replays what follows it), never the newest
   * (the next run resumes where it ends); and data that no descriptor names, older than the newest
   * slice (left by a run that stopped before it wrote its descriptor). Without any backup, or while
   * a backup or a descriptor cannot be read, nothing is removed.
   */
  private boolean prune(Slices.Listing listing, Windows.Bases bases) throws IOException {
    // only on a whole view: a backup or a descriptor that could not be read may need what would go
    if (!bases.whole()
        || bases.list().isEmpty()
        || !listing.problems().isEmpty()
        || listing.slices().isEmpty()) return false;
    Instant oldest =
        bases.list().stream().map(Windows.Base::at).min(Instant::compareTo).orElseThrow();
    long keepFrom = Slice.at(oldest);
    Long end = listing.end();
    Set<String> named = new HashSet<>();
    int removed = 0;
    for (Slice s : listing.slices()) {
      if (Long.compareUnsigned(s.to(), keepFrom) < 0 && s.to() != end) {
        storage.delete(Slices.descriptorKey(s.from(), s.to()));
        if (s.data() != null) storage.delete(s.data());
        removed++;
      } else if (s.data() != null) named.add(s.data());
    }
    long newestFrom = listing.slices().get(listing.slices().size() - 1).from();
    for (String key : storage.list(Slices.FOLDER)) {
      Long from = Slices.dataFrom(key);
      if (from == null || named.contains(key)) continue;
      // data no descriptor names, older than the newest slice: a run stopped before publishing
      if (Long.compareUnsigned(from, newestFrom) < 0) {
        storage.delete(key);
        removed++;
      }
    }
    if (removed > 0)
      log.info(
          "oplog archive: removed " + removed + " objects older than the oldest backup's moment");
    return removed > 0;
  }

  private static boolean kept(RawBsonDocument e) {
    String op = e.isString("op") ? e.getString("op").getValue() : "";
    String ns = e.isString("ns") ? e.getString("ns").getValue() : "";
    if (op.equals("n") || op.isEmpty()) return false;
    int dot = ns.indexOf('.');
    String db = dot < 0 ? ns : ns.substring(0, dot);
    if (db.equals("local") || db.equals("config")) return false;
    if (db.equals("admin")) {
      if (!op.equals("c") || !e.isDocument("o")) return false;
      BsonDocument o = e.getDocument("o");
      return o.containsKey("applyOps")
          || o.containsKey("commitTransaction")
          || o.containsKey("abortTransaction");
    }
    return true;
  }

  /** One open slice: its data written as entries arrive, its descriptor when it closes. */
  private final class Writer {
    final long from;
    final String gap;
    final Instant opened = clock.instant();
    final String run = UUID.randomUUID().toString().substring(0, 8);
    Storage.AtomicOutput out;
    boolean published;
    HashingOutputStream hashed;
    OutputStream data;
    long entries;

    Writer(long from, String gap) {
      this.from = from;
      this.gap = gap;
    }

    void write(RawBsonDocument e, long ts) throws IOException {
      if (!kept(e)) return;
      if (data == null) {
        out = storage.create(Slices.dataKey(from, run, encryption.enabled()));
        hashed = new HashingOutputStream(out);
        data =
            new GZIPOutputStream(encryption.wrap(hashed), 64 * 1024) {
              {
                def.setLevel(Deflater.BEST_SPEED);
              }
            };
      }
      var buf = e.getByteBuffer();
      byte[] b = new byte[buf.remaining()];
      buf.get(b);
      data.write(b);
      entries++;
    }

    /**
     * Publishes the slice up to {@code to} (nothing when it would be empty: {@code to} is where it
     * started); returns whether it wrote one.
     */
    boolean close(long to, Storage.Lock lock) throws IOException {
      if (published) return false;
      if (to == from) {
        abort();
        return false;
      }
      try {
        lock.check();
        String key = null;
        if (data != null) {
          data.close(); // gzip's end, age's last chunk, then the object is published
          key = Slices.dataKey(from, run, encryption.enabled());
        }
        Slice s =
            new Slice(
                Slice.FORMAT,
                from,
                to,
                Slice.time(from),
                Slice.time(to),
                entries,
                key,
                hashed == null ? 0 : hashed.count(),
                hashed == null ? null : hashed.sha256Hex(),
                data == null ? null : encryption.enabled() ? encryption.scheme() : "none",
                clock.instant().toString(),
                gap);
        lock.check();
        try (Storage.AtomicOutput d = storage.create(Slices.descriptorKey(from, to))) {
          d.write(Json.write(s).getBytes(StandardCharsets.UTF_8));
        }
        log.info(
            "oplog archive: slice "
                + Slice.time(from)
                + " to "
                + Slice.time(to)
                + ", "
                + entries
                + " entries"
                + (hashed == null ? "" : ", " + hashed.count() + " bytes"));
        published = true;
        return true;
      } catch (IOException | RuntimeException e) {
        abort();
        throw e;
      }
    }

    /** Throws away data not published yet (nothing once published); never throws. */
    void abort() {
      if (out != null && !published) out.abort();
      out = null;
    }
  }
}
