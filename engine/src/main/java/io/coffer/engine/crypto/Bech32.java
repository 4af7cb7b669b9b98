package io.coffer.engine.crypto;

import java.io.ByteArrayOutputStream;
import java.util.Locale;

/** Bech32 (BIP 173 checksum, no length limit) as age uses it for recipients and identities. */
final class Bech32 {
  private static final String CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  private static final int[] GEN = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};

  record Decoded(String hrp, byte[] data) {}

  private Bech32() {}

  static String encode(String hrp, byte[] data) {
    byte[] five = convertBits(data, 8, 5, true);
    byte[] checksum = checksum(hrp, five);
    StringBuilder sb = new StringBuilder(hrp).append('1');
    for (byte b : five) sb.append(CHARSET.charAt(b));
    for (byte b : checksum) sb.append(CHARSET.charAt(b));
    return sb.toString();
  }

  static Decoded decode(String s) {
    boolean lower = s.equals(s.toLowerCase(Locale.ROOT));
    boolean upper = s.equals(s.toUpperCase(Locale.ROOT));
    if (!lower && !upper) throw new IllegalArgumentException("mixed case");
    String str = s.toLowerCase(Locale.ROOT);
    int pos = str.lastIndexOf('1');
    if (pos < 1 || pos + 7 > str.length())
      throw new IllegalArgumentException("bad separator position");
    String hrp = str.substring(0, pos);
    for (char c : hrp.toCharArray()) {
      if (c < 33 || c > 126) throw new IllegalArgumentException("bad character in prefix");
    }
    byte[] values = new byte[str.length() - pos - 1];
    for (int i = 0; i < values.length; i++) {
      int v = CHARSET.indexOf(str.charAt(pos + 1 + i));
      if (v < 0) throw new IllegalArgumentException("bad character");
      values[i] = (byte) v;
    }
    if (polymod(concat(hrpExpand(hrp), values)) != 1)
      throw new IllegalArgumentException("bad checksum");
    byte[] data = new byte[values.length - 6];
    System.arraycopy(values, 0, data, 0, data.length);
    return new Decoded(hrp, convertBits(data, 5, 8, false));
  }

  private static byte[] checksum(String hrp, byte[] data) {
    byte[] values = concat(concat(hrpExpand(hrp), data), new byte[6]);
    int mod = polymod(values) ^ 1;
    byte[] out = new byte[6];
    for (int i = 0; i < 6; i++) out[i] = (byte) ((mod >>> (5 * (5 - i))) & 31);
    return out;
  }

  private static int polymod(byte[] values) {
    int chk = 1;
    for (byte v : values) {
      int b = chk >>> 25;
      chk = ((chk & 0x1ffffff) << 5) ^ (v & 0xff);
      for (int i = 0; i < 5; i++) {
        if (((b >>> i) & 1) == 1) chk ^= GEN[i];
      }
    }
    return chk;
  }

  private static byte[] hrpExpand(String hrp) {
    byte[] out = new byte[hrp.length() * 2 + 1];
    for (int i = 0; i < hrp.length(); i++) {
      out[i] = (byte) (hrp.charAt(i) >> 5);
      out[i + hrp.length() + 1] = (byte) (hrp.charAt(i) & 31);
    }
    return out;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static byte[] convertBits(byte[] data, int from, int to, boolean pad) {
    int acc = 0;
    int bits = 0;
    int maxv = (1 << to) - 1;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte b : data) {
      int value = b & 0xff;
      if ((value >>> from) != 0) throw new IllegalArgumentException("bad data");
      acc = (acc << from) | value;
      bits += from;
      while (bits >= to) {
        bits -= to;
        out.write((acc >>> bits) & maxv);
      }
    }
    if (pad) {
      if (bits > 0) out.write((acc << (to - bits)) & maxv);
    } else if (bits >= from || ((acc << (to - bits)) & maxv) != 0) {
      throw new IllegalArgumentException("bad padding");
    }
    return out.toByteArray();
  }
}
