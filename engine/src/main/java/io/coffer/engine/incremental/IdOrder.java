package io.coffer.engine.incremental;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * MongoDB's sort order of {@code _id} values (BSON comparison order), on the raw {@code _id}
 * elements the chain index keeps: MinKey, null, numbers, strings, objects, arrays, binary,
 * ObjectId, boolean, date, timestamp, regex, MaxKey; numbers by value across int32, int64 and
 * double (NaN first); strings by their UTF-8 bytes (the simple collation); binary by length,
 * subtype, then bytes; objects field by field (type, name, value).
 *
 * <p>An increment merges the parent's index with the collection read in {@code _id} order, so that
 * it holds only the changes in memory. Correctness never rests on this order: where it disagrees
 * with the server's (a type it does not rank, Decimal128, a server with another order), the merge
 * only holds more records until the end (see {@link ChainDiff}). Malformed input compares as
 * unranked, never throws.
 */
public final class IdOrder {
  private IdOrder() {}

  /** Compares two {@code _id} elements (type byte, the name {@code _id}, the value). */
  public static int compare(byte[] a, byte[] b) {
    try {
      return compareValues(a[0], a, valueStart(a, 1), b[0], b, valueStart(b, 1));
    } catch (RuntimeException malformed) {
      return Arrays.compare(a, b);
    }
  }

  private static int valueStart(byte[] el, int nameAt) {
    int i = nameAt;
    while (el[i] != 0) i++;
    return i + 1;
  }

  /**
   * The canonical rank of a BSON type, as MongoDB orders them; 100 and up for types this order does
   * not rank.
   */
  static int rank(byte type) {
    return switch (type) {
      case (byte) 0xFF -> 1; // MinKey
      case 0x0A, 0x06 -> 2; // null, undefined
      case 0x01, 0x10, 0x12 -> 3; // double, int32, int64 (Decimal128 is left unranked)
      case 0x02, 0x0E -> 4; // string, symbol
      case 0x03 -> 5; // object
      case 0x04 -> 6; // array
      case 0x05 -> 7; // binary
      case 0x07 -> 8; // ObjectId
      case 0x08 -> 9; // boolean
      case 0x09 -> 10; // date
      case 0x11 -> 11; // timestamp
      case 0x0B -> 12; // regex
      case 0x7F -> 13; // MaxKey
      default -> 100 + (type & 0xFF);
    };
  }

  private static int compareValues(byte ta, byte[] a, int ia, byte tb, byte[] b, int ib) {
    int ra = rank(ta);
    int rb = rank(tb);
    if (ra != rb) return Integer.compare(ra, rb);
    if (ra >= 100) return Arrays.compare(a, ia, a.length, b, ib, b.length);
    switch (ra) {
      case 1, 2, 13:
        return 0;
      case 3:
        return compareNumbers(ta, a, ia, tb, b, ib);
      case 4:
        {
          int la = le32(a, ia) - 1;
          int lb = le32(b, ib) - 1;
          return Arrays.compareUnsigned(a, ia + 4, ia + 4 + la, b, ib + 4, ib + 4 + lb);
        }
      case 5, 6:
        return compareDocuments(a, ia, b, ib);
      case 7:
        {
          int la = le32(a, ia);
          int lb = le32(b, ib);
          if (la != lb) return Integer.compare(la, lb);
          if (a[ia + 4] != b[ib + 4]) return Integer.compare(a[ia + 4] & 0xFF, b[ib + 4] & 0xFF);
          return Arrays.compareUnsigned(a, ia + 5, ia + 5 + la, b, ib + 5, ib + 5 + lb);
        }
      case 8:
        return Arrays.compareUnsigned(a, ia, ia + 12, b, ib, ib + 12);
      case 9:
        return Integer.compare(a[ia], b[ib]);
      case 10:
        return Long.compare(le64(a, ia), le64(b, ib));
      case 11: // timestamp: increment (low word) then seconds (high word), as one unsigned 64-bit
        // number
        return Long.compareUnsigned(le64(a, ia), le64(b, ib));
      default:
        { // regex: pattern, then options
          int ea = cstringEnd(a, ia);
          int eb = cstringEnd(b, ib);
          int c = Arrays.compareUnsigned(a, ia, ea, b, ib, eb);
          if (c != 0) return c;
          return Arrays.compareUnsigned(
              a, ea + 1, cstringEnd(a, ea + 1), b, eb + 1, cstringEnd(b, eb + 1));
        }
    }
  }

  private static int compareNumbers(byte ta, byte[] a, int ia, byte tb, byte[] b, int ib) {
    if (ta != 0x01 && tb != 0x01) return Long.compare(integer(ta, a, ia), integer(tb, b, ib));
    if (ta == 0x01 && tb == 0x01)
      return compareDoubles(
          Double.longBitsToDouble(le64(a, ia)), Double.longBitsToDouble(le64(b, ib)));
    if (ta == 0x01)
      return compareDoubleToLong(Double.longBitsToDouble(le64(a, ia)), integer(tb, b, ib));
    return -compareDoubleToLong(Double.longBitsToDouble(le64(b, ib)), integer(ta, a, ia));
  }

  private static long integer(byte t, byte[] a, int i) {
    return t == 0x10 ? le32(a, i) : le64(a, i);
  }

  /** NaN first, then by value; -0.0 equals 0.0. */
  private static int compareDoubles(double x, double y) {
    if (Double.isNaN(x) || Double.isNaN(y)) return Double.isNaN(x) ? (Double.isNaN(y) ? 0 : -1) : 1;
    return x < y ? -1 : x > y ? 1 : 0;
  }

  private static int compareDoubleToLong(double d, long l) {
    if (Double.isNaN(d)) return -1;
    if (d < -0x1p63) return -1;
    if (d >= 0x1p63) return 1;
    long t = (long) d; // exact for |d| < 2^63, truncated toward zero
    if (t != l) return Long.compare(t, l);
    double frac = d - t;
    return frac > 0 ? 1 : frac < 0 ? -1 : 0;
  }

  /**
   * Embedded documents (and arrays): element by element, type rank, then field name, then value;
   * the shorter first.
   */
  private static int compareDocuments(byte[] a, int ia, byte[] b, int ib) {
    int pa = ia + 4;
    int pb = ib + 4;
    while (true) {
      byte ta = a[pa];
      byte tb = b[pb];
      if (ta == 0 || tb == 0) return ta == 0 ? (tb == 0 ? 0 : -1) : 1;
      int c = Integer.compare(rank(ta), rank(tb));
      if (c != 0) return c;
      int na = cstringEnd(a, pa + 1);
      int nb = cstringEnd(b, pb + 1);
      c = Arrays.compareUnsigned(a, pa + 1, na, b, pb + 1, nb);
      if (c != 0) return c;
      c = compareValues(ta, a, na + 1, tb, b, nb + 1);
      if (c != 0) return c;
      pa = na + 1 + valueLength(ta, a, na + 1);
      pb = nb + 1 + valueLength(tb, b, nb + 1);
    }
  }

  private static int valueLength(byte t, byte[] a, int i) {
    return switch (t) {
      case 0x01, 0x09, 0x11, 0x12 -> 8;
      case 0x02, 0x0D, 0x0E -> 4 + le32(a, i);
      case 0x03, 0x04, 0x0F -> le32(a, i);
      case 0x05 -> 5 + le32(a, i);
      case 0x06, 0x0A, (byte) 0xFF, 0x7F -> 0;
      case 0x07 -> 12;
      case 0x08 -> 1;
      case 0x0B -> {
        int e = cstringEnd(a, i);
        yield cstringEnd(a, e + 1) + 1 - i;
      }
      case 0x0C -> 4 + le32(a, i) + 12;
      case 0x10 -> 4;
      case 0x13 -> 16;
      default -> throw new IllegalArgumentException("unknown BSON type " + t);
    };
  }

  private static int cstringEnd(byte[] a, int i) {
    while (a[i] != 0) i++;
    return i;
  }

  private static int le32(byte[] a, int i) {
    return ByteBuffer.wrap(a, i, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  private static long le64(byte[] a, int i) {
    return ByteBuffer.wrap(a, i, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }
}
