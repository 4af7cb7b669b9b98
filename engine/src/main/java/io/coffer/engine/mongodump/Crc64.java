package io.coffer.engine.mongodump;

/**
 * The checksum a mongodump archive keeps per namespace: Go's {@code hash/crc64} with the ECMA table
 * (reflected polynomial 0xC96C5795D7870F42, initial value and final xor all ones; the catalogue's
 * CRC-64/XZ), over the body documents of the namespace in order. Its check value, of "123456789",
 * is 0x995DC9BBDF1939FA.
 */
final class Crc64 {
  private static final long[] TABLE = new long[256];

  static {
    for (int i = 0; i < 256; i++) {
      long crc = i;
      for (int j = 0; j < 8; j++)
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0xC96C5795D7870F42L : crc >>> 1;
      TABLE[i] = crc;
    }
  }

  private long crc;

  void update(byte[] b, int off, int len) {
    long c = ~crc;
    for (int i = off; i < off + len; i++) c = TABLE[(int) ((c ^ b[i]) & 0xff)] ^ (c >>> 8);
    crc = ~c;
  }

  void update(byte[] b) {
    update(b, 0, b.length);
  }

  /** The value as mongodump stores it: the unsigned sum as a signed int64. */
  long value() {
    return crc;
  }
}
