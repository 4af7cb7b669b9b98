package io.coffer.engine.crypto;

import io.coffer.engine.crypto.AgeException.Kind;
import io.coffer.protocol.Field;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.generators.SCrypt;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The age v1 file format (age-encryption.org/v1): X25519 and scrypt recipient stanzas, HMAC-SHA256
 * header MAC and the ChaCha20-Poly1305 STREAM payload in 64 KiB chunks. Encryption and decryption
 * are streams, so memory stays at one chunk whatever the file size.
 */
public final class Age {
  static final String VERSION_LINE = "age-encryption.org/v1";
  static final int CHUNK = 64 * 1024;
  static final int TAG = 16;
  private static final int FILE_KEY_LEN = 16;
  private static final String X25519_INFO = "age-encryption.org/v1/X25519";
  private static final String SCRYPT_LABEL = "age-encryption.org/v1/scrypt";

  /** Work factor used when encrypting to a passphrase; age's own default. */
  /**
   * scrypt work factor for passphrase encryption: 2^16 (64 MiB, a fraction of a second). age's CLI
   * uses 2^18, which needs 256 MiB at once: more than an engine Job's heap is sized for. Backup
   * passphrases are long stored secrets, not memorised words, so the lower cost gives up no real
   * strength. Decryption accepts any age cost.
   */
  public static final int DEFAULT_SCRYPT_LOG_N = 16;

  /**
   * The largest work factor accepted when decrypting, as age does, so a hostile file cannot exhaust
   * memory.
   */
  static final int MAX_SCRYPT_LOG_N = 22;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getDecoder();

  private Age() {}

  /** What can open a file: identities, a passphrase, or both. */
  public record DecryptionKeys(List<AgeKeys.Identity> identities, char[] passphrase) {
    public static DecryptionKeys of(List<AgeKeys.Identity> identities) {
      return new DecryptionKeys(List.copyOf(identities), null);
    }

    public static DecryptionKeys passphrase(char[] passphrase) {
      return new DecryptionKeys(List.of(), passphrase.clone());
    }

    @Override
    public String toString() {
      return "DecryptionKeys("
          + identities.size()
          + " identities"
          + (passphrase != null ? ", passphrase" : "")
          + ")";
    }
  }

  record Stanza(String type, List<String> args, byte[] body) {}

  // ---------------------------------------------------------------- encryption

  public static OutputStream encrypt(OutputStream out, List<AgeKeys.Recipient> recipients)
      throws IOException {
    if (recipients.isEmpty())
      throw new IllegalArgumentException("at least one recipient is required");
    byte[] fileKey = random(FILE_KEY_LEN);
    List<Stanza> stanzas = new ArrayList<>();
    for (AgeKeys.Recipient r : recipients) stanzas.add(wrapX25519(fileKey, r));
    return finishHeader(out, fileKey, stanzas);
  }

  public static OutputStream encryptWithPassphrase(OutputStream out, char[] passphrase, int logN)
      throws IOException {
    if (passphrase.length == 0) throw new IllegalArgumentException("the passphrase is empty");
    byte[] fileKey = random(FILE_KEY_LEN);
    byte[] salt = random(16);
    byte[] wrapKey = scrypt(passphrase, salt, logN);
    byte[] body = chachaSeal(wrapKey, new byte[12], fileKey);
    Stanza s =
        new Stanza("scrypt", List.of(B64.encodeToString(salt), Integer.toString(logN)), body);
    return finishHeader(out, fileKey, List.of(s));
  }

  private static OutputStream finishHeader(OutputStream out, byte[] fileKey, List<Stanza> stanzas)
      throws IOException {
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.writeBytes((VERSION_LINE + "\n").getBytes(StandardCharsets.US_ASCII));
    for (Stanza s : stanzas) {
      StringBuilder line = new StringBuilder("-> ").append(s.type());
      for (String a : s.args()) line.append(' ').append(a);
      line.append('\n');
      String b = B64.encodeToString(s.body());
      for (int i = 0; i <= b.length(); i += 64) {
        line.append(b, i, Math.min(b.length(), i + 64)).append('\n');
        if (i + 64 == b.length()) {
          line.append('\n');
          break;
        }
      }
      header.writeBytes(line.toString().getBytes(StandardCharsets.US_ASCII));
    }
    header.writeBytes("---".getBytes(StandardCharsets.US_ASCII));
    byte[] mac = hmac(hkdf(fileKey, new byte[0], "header", 32), header.toByteArray());
    header.writeBytes((" " + B64.encodeToString(mac) + "\n").getBytes(StandardCharsets.US_ASCII));
    out.write(header.toByteArray());
    byte[] nonce = random(16);
    out.write(nonce);
    return new EncryptingStream(out, hkdf(fileKey, nonce, "payload", 32));
  }

  private static Stanza wrapX25519(byte[] fileKey, AgeKeys.Recipient recipient) {
    byte[] ephemeral = random(32);
    byte[] share = new byte[32];
    X25519.scalarMultBase(ephemeral, 0, share, 0);
    byte[] shared = new byte[32];
    if (!X25519.calculateAgreement(ephemeral, 0, recipient.publicKey(), 0, shared, 0)) {
      throw new IllegalArgumentException(
          "recipient " + recipient.encoded() + " is a low-order point");
    }
    byte[] salt = concat(share, recipient.publicKey());
    byte[] wrapKey = hkdf(shared, salt, X25519_INFO, 32);
    return new Stanza(
        "X25519", List.of(B64.encodeToString(share)), chachaSeal(wrapKey, new byte[12], fileKey));
  }

  /**
   * STREAM encryption. Chunks are independent (each has its own nonce), so runs of 16 chunks are
   * sealed on worker threads and written in order, at most a few runs in flight. A full chunk is
   * only sealed once more data proves it is not the last one.
   */
  private static final class EncryptingStream extends OutputStream {
    private static final int RUN = 16;
    private final OutputStream out;
    private final SecretKeySpec key;
    private final ExecutorService pool;
    private final ArrayDeque<Future<byte[]>> inFlight = new ArrayDeque<>();
    private final int window;
    private byte[] buf = new byte[RUN * CHUNK + 1];
    private int len;
    private long counter;
    private boolean closed;

    EncryptingStream(OutputStream out, byte[] key) {
      this.out = out;
      this.key = new SecretKeySpec(key, "ChaCha20");
      int threads = Runtime.getRuntime().availableProcessors();
      this.window = threads + 1;
      this.pool =
          Executors.newFixedThreadPool(
              threads,
              r -> {
                Thread t = new Thread(r, "coffer-age");
                t.setDaemon(true);
                return t;
              });
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int n) throws IOException {
      if (closed) throw new IOException("stream closed");
      while (n > 0) {
        if (len == buf.length) submitRun();
        int take = Math.min(n, buf.length - len);
        System.arraycopy(b, off, buf, len, take);
        len += take;
        off += take;
        n -= take;
      }
    }

    /**
     * Seals the first RUN chunks (more data follows them, so none is the last) and keeps the extra
     * byte.
     */
    private void submitRun() throws IOException {
      byte[] run = buf;
      long first = counter;
      counter += RUN;
      buf = new byte[RUN * CHUNK + 1];
      buf[0] = run[RUN * CHUNK];
      len = 1;
      submit(run, RUN * CHUNK, first, false);
    }

    private void submit(byte[] data, int n, long first, boolean lastRun) throws IOException {
      inFlight.add(pool.submit(() -> seal(data, n, first, lastRun)));
      while (inFlight.size() >= window) writeOldest();
    }

    private byte[] seal(byte[] data, int n, long first, boolean lastRun)
        throws GeneralSecurityException {
      Cipher cipher = newChaCha();
      int chunks = lastRun ? Math.max(1, (n + CHUNK - 1) / CHUNK) : n / CHUNK;
      byte[] sealed = new byte[n + chunks * TAG];
      int in = 0;
      int o = 0;
      for (int i = 0; i < chunks; i++) {
        int clen = Math.min(CHUNK, n - in);
        boolean last = lastRun && i == chunks - 1;
        cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(chunkNonce(first + i, last)));
        o += cipher.doFinal(data, in, clen, sealed, o);
        in += clen;
      }
      return sealed;
    }

    private void writeOldest() throws IOException {
      try {
        out.write(inFlight.removeFirst().get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted");
      } catch (ExecutionException e) {
        throw new IOException("encryption failed: " + e.getCause().getMessage(), e.getCause());
      }
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      if (closed) return;
      closed = true;
      try {
        submit(buf, len, counter, true);
        while (!inFlight.isEmpty()) writeOldest();
      } finally {
        pool.shutdownNow();
      }
      out.close();
    }
  }

  // ---------------------------------------------------------------- decryption

  /**
   * Opens an age file. The header is read and checked, and the file key unwrapped, before this
   * returns, so a wrong key or a damaged header fails here; payload damage or truncation fails on
   * the read that meets it.
   */
  public static InputStream decrypt(InputStream source, DecryptionKeys keys) throws IOException {
    InputStream in =
        source instanceof BufferedInputStream ? source : new BufferedInputStream(source, CHUNK);
    HeaderReader reader = new HeaderReader(in);
    String first = reader.line();
    if (!VERSION_LINE.equals(first)) {
      throw new AgeException(
          Kind.BAD_INPUT,
          "not an age-encrypted file (it does not start with " + VERSION_LINE + ")");
    }
    List<Stanza> stanzas = new ArrayList<>();
    String macLine;
    while (true) {
      String line = reader.line();
      if (line.startsWith("--- ")) {
        macLine = line;
        break;
      }
      if (!line.startsWith("-> "))
        throw new AgeException(Kind.CORRUPT, "the age header is damaged (unexpected line)");
      String[] parts = line.substring(3).split(" ", -1);
      for (String p : parts) {
        if (p.isEmpty())
          throw new AgeException(Kind.CORRUPT, "the age header is damaged (empty stanza argument)");
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      while (true) {
        String b = reader.line();
        if (b.length() > 64)
          throw new AgeException(Kind.CORRUPT, "the age header is damaged (body line too long)");
        body.writeBytes(b64(b));
        if (b.length() < 64) break;
      }
      stanzas.add(
          new Stanza(parts[0], List.of(parts).subList(1, parts.length), body.toByteArray()));
    }
    byte[] headerForMac = reader.bytesUpTo(reader.size() - macLine.length() - 1 + 3);
    byte[] mac = b64(macLine.substring(4));
    byte[] fileKey = unwrap(stanzas, keys);
    byte[] expected = hmac(hkdf(fileKey, new byte[0], "header", 32), headerForMac);
    if (!MessageDigest.isEqual(expected, mac)) {
      throw new AgeException(
          Kind.CORRUPT, "the age header MAC does not match: the file is damaged or was altered");
    }
    byte[] nonce = in.readNBytes(16);
    if (nonce.length != 16)
      throw new AgeException(Kind.CORRUPT, "the age file is truncated (no payload)");
    return new DecryptingStream(in, hkdf(fileKey, nonce, "payload", 32));
  }

  private static byte[] unwrap(List<Stanza> stanzas, DecryptionKeys keys) throws AgeException {
    boolean hasScrypt = stanzas.stream().anyMatch(s -> s.type().equals("scrypt"));
    if (hasScrypt && stanzas.size() != 1) {
      throw new AgeException(
          Kind.CORRUPT, "the age header is invalid (an scrypt stanza must be alone)");
    }
    for (Stanza s : stanzas) {
      if (s.type().equals("X25519")) {
        if (s.args().size() != 1)
          throw new AgeException(Kind.CORRUPT, "the age header is damaged (X25519 stanza)");
        byte[] share = b64(s.args().get(0));
        if (share.length != 32 || s.body().length != 32) {
          throw new AgeException(Kind.CORRUPT, "the age header is damaged (X25519 stanza sizes)");
        }
        for (AgeKeys.Identity id : keys.identities()) {
          byte[] shared = new byte[32];
          if (!X25519.calculateAgreement(id.secret(), 0, share, 0, shared, 0)) continue;
          byte[] salt = concat(share, id.recipient().publicKey());
          byte[] wrapKey = hkdf(shared, salt, X25519_INFO, 32);
          byte[] fileKey = chachaOpen(wrapKey, new byte[12], s.body());
          if (fileKey != null && fileKey.length == FILE_KEY_LEN) return fileKey;
        }
      } else if (s.type().equals("scrypt")) {
        if (s.args().size() != 2)
          throw new AgeException(Kind.CORRUPT, "the age header is damaged (scrypt stanza)");
        byte[] salt = b64(s.args().get(0));
        int logN;
        try {
          logN = Integer.parseInt(s.args().get(1));
        } catch (NumberFormatException e) {
          throw new AgeException(Kind.CORRUPT, "the age header is damaged (scrypt work factor)");
        }
        if (salt.length != 16
            || logN <= 0
            || s.body().length != 32
            || !s.args().get(1).matches("[1-9][0-9]*")) {
          throw new AgeException(Kind.CORRUPT, "the age header is damaged (scrypt stanza)");
        }
        if (logN > MAX_SCRYPT_LOG_N) {
          throw new AgeException(
              Kind.BAD_INPUT,
              "the scrypt work factor " + logN + " is above the limit " + MAX_SCRYPT_LOG_N);
        }
        if (keys.passphrase() == null) {
          throw new AgeException(
              Kind.NO_MATCHING_KEY,
              "this archive is encrypted with a passphrase; give "
                  + Field.DECRYPTION_PASSPHRASE.mark());
        }
        // scrypt holds 1 KiB per unit of work at once: a header must not be able to exhaust the
        // heap (an OOM kill, not an error)
        long needs = 1024L << logN;
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (needs > free * 3 / 4) {
          throw new AgeException(
              Kind.BAD_INPUT,
              "the passphrase's scrypt work factor 2^"
                  + logN
                  + " needs "
                  + (needs >> 20)
                  + " MiB at once, more than"
                  + " this process has free ("
                  + (free >> 20)
                  + " MiB); give the engine more heap (COFFER_JAVA_OPTS=-Xmx...) if the file is genuine");
        }
        byte[] fileKey = chachaOpen(scrypt(keys.passphrase(), salt, logN), new byte[12], s.body());
        if (fileKey != null && fileKey.length == FILE_KEY_LEN) return fileKey;
        throw new AgeException(
            Kind.NO_MATCHING_KEY, "wrong passphrase: it does not open this archive");
      }
    }
    if (keys.identities().isEmpty()) {
      throw new AgeException(
          Kind.NO_MATCHING_KEY,
          "this archive is encrypted to age recipients; give "
              + Field.IDENTITY.mark()
              + " with a matching AGE-SECRET-KEY");
    }
    throw new AgeException(
        Kind.NO_MATCHING_KEY,
        "no identity matches: none of the given age identities is a recipient of this archive");
  }

  /** Reads the header line by line, keeping the raw bytes for the MAC. */
  static final int MAX_HEADER_BYTES = 64 * 1024;

  private static final class HeaderReader {
    private final InputStream in;
    private final ByteArrayOutputStream raw = new ByteArrayOutputStream();

    HeaderReader(InputStream in) {
      this.in = in;
    }

    String line() throws IOException {
      StringBuilder sb = new StringBuilder();
      while (true) {
        int c = in.read();
        if (c < 0) throw new AgeException(Kind.CORRUPT, "the age header is truncated");
        raw.write(c);
        // real headers are a few hundred bytes: a hostile one must not fill the heap
        if (raw.size() > MAX_HEADER_BYTES)
          throw new AgeException(
              Kind.CORRUPT,
              "the age header is larger than "
                  + MAX_HEADER_BYTES
                  + " bytes: not a file age writes");
        if (c == '\n') return sb.toString();
        if (c < 32 || c > 126)
          throw new AgeException(
              Kind.BAD_INPUT, "not an age-encrypted file (binary data in the header)");
        if (sb.length() > 4096)
          throw new AgeException(Kind.CORRUPT, "the age header line is too long");
        sb.append((char) c);
      }
    }

    int size() {
      return raw.size();
    }

    byte[] bytesUpTo(int n) {
      return Arrays.copyOf(raw.toByteArray(), n);
    }
  }

  private static final class DecryptingStream extends InputStream {
    private final InputStream in;
    private final SecretKeySpec key;
    private final Cipher cipher = newChaCha();
    private final byte[] sealed = new byte[CHUNK + TAG + 1];
    private int sealedLen;
    private final byte[] plain = new byte[CHUNK];
    private int pos;
    private int limit;
    private long counter;
    private boolean done;

    DecryptingStream(InputStream in, byte[] key) {
      this.in = in;
      this.key = new SecretKeySpec(key, "ChaCha20");
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int n) throws IOException {
      if (n == 0) return 0;
      while (pos == limit) {
        if (done) return -1;
        nextChunk();
      }
      int take = Math.min(n, limit - pos);
      System.arraycopy(plain, pos, b, off, take);
      pos += take;
      return take;
    }

    /**
     * Reads one sealed chunk plus one look-ahead byte, which tells whether this chunk must be the
     * last.
     */
    private void nextChunk() throws IOException {
      int want = CHUNK + TAG + 1;
      while (sealedLen < want) {
        int r = in.read(sealed, sealedLen, want - sealedLen);
        if (r < 0) break;
        sealedLen += r;
      }
      boolean last = sealedLen < want;
      int chunkLen = last ? sealedLen : CHUNK + TAG;
      if (chunkLen < TAG)
        throw new AgeException(
            Kind.CORRUPT, "the archive is truncated (incomplete encrypted chunk)");
      if (last && chunkLen == TAG && counter > 0) {
        throw new AgeException(Kind.CORRUPT, "the archive is damaged (empty final chunk)");
      }
      try {
        cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(chunkNonce(counter, last)));
        limit = cipher.doFinal(sealed, 0, chunkLen, plain, 0);
      } catch (GeneralSecurityException e) {
        if (!last) {
          throw new AgeException(
              Kind.CORRUPT,
              "the archive is damaged: encrypted chunk " + counter + " fails authentication");
        }
        throw new AgeException(
            Kind.CORRUPT,
            "the archive is damaged or truncated: final encrypted chunk "
                + counter
                + " fails authentication");
      }
      pos = 0;
      counter++;
      if (last) {
        done = true;
        sealedLen = 0;
      } else {
        sealed[0] = sealed[CHUNK + TAG];
        sealedLen = 1;
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  // ---------------------------------------------------------------- primitives

  static byte[] chunkNonce(long counter, boolean last) {
    byte[] nonce = new byte[12];
    for (int i = 0; i < 8; i++) nonce[10 - i] = (byte) (counter >>> (8 * i));
    nonce[11] = (byte) (last ? 1 : 0);
    return nonce;
  }

  static byte[] hkdf(byte[] ikm, byte[] salt, String info, int len) {
    HKDFBytesGenerator gen = new HKDFBytesGenerator(new SHA256Digest());
    gen.init(new HKDFParameters(ikm, salt, info.getBytes(StandardCharsets.US_ASCII)));
    byte[] out = new byte[len];
    gen.generateBytes(out, 0, len);
    return out;
  }

  private static byte[] scrypt(char[] passphrase, byte[] salt, int logN) {
    byte[] pass = new String(passphrase).getBytes(StandardCharsets.UTF_8);
    try {
      return SCrypt.generate(
          pass,
          concat(SCRYPT_LABEL.getBytes(StandardCharsets.US_ASCII), salt),
          1 << logN,
          8,
          1,
          32);
    } finally {
      Arrays.fill(pass, (byte) 0);
    }
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] chachaSeal(byte[] key, byte[] nonce, byte[] plain) {
    try {
      Cipher c = newChaCha();
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
      return c.doFinal(plain);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] chachaOpen(byte[] key, byte[] nonce, byte[] sealed) {
    try {
      Cipher c = newChaCha();
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
      return c.doFinal(sealed);
    } catch (GeneralSecurityException e) {
      return null;
    }
  }

  private static Cipher newChaCha() {
    try {
      return Cipher.getInstance("ChaCha20-Poly1305");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this Java runtime lacks ChaCha20-Poly1305", e);
    }
  }

  private static byte[] b64(String s) throws AgeException {
    if (s.endsWith("=") || s.contains("\n"))
      throw new AgeException(Kind.CORRUPT, "the age header is damaged (padded base64)");
    try {
      byte[] out = B64D.decode(s);
      if (!B64.encodeToString(out).equals(s))
        throw new AgeException(Kind.CORRUPT, "the age header is damaged (non-canonical base64)");
      return out;
    } catch (IllegalArgumentException e) {
      throw new AgeException(Kind.CORRUPT, "the age header is damaged (bad base64)");
    }
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
