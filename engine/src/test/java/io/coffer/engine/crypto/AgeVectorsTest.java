package io.coffer.engine.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.coffer.engine.archive.HashingOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.InflaterInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Coffer's age decryptor against the C2SP "CCTV" test vectors (npm package {@code cctv-age} 0.2.0,
 * CC0): an independent suite of valid files and of malformed or hostile headers and payloads, each
 * saying whether it must decrypt (and to what SHA-256), fail in its header or payload, or find no
 * matching key. Nothing is simulated: the vectors are the bytes other implementations are held to.
 * Vectors for what Coffer does not implement (ASCII armor, recipient types other than X25519 and
 * scrypt) are counted and left out. The package is fetched once with {@code npm pack} into {@code
 * ~/.cache/coffer/}; without npm the test is skipped, except under {@code CI=true}, where it fails.
 */
class AgeVectorsTest {
  static final String PACKAGE = "cctv-age@0.2.0";

  record Vector(String name, Map<String, String> header, byte[] file) {}

  @Test
  void givenTheCctvVectors_whenDecrypted_thenEachSucceedsOrFailsAsTheVectorSays() throws Exception {
    List<Vector> vectors = vectors();
    int checked = 0;
    int skipped = 0;
    List<String> wrong = new ArrayList<>();
    for (Vector v : vectors) {
      Map<String, String> h = v.header();
      // X25519 identities only (post-quantum ones, AGE-SECRET-KEY-PQ-1..., are not implemented)
      List<AgeKeys.Identity> ids = new ArrayList<>();
      boolean others = false;
      for (String k : h.getOrDefault("identity", "").split("\n")) {
        if (k.isBlank()) continue;
        if (k.startsWith("AGE-SECRET-KEY-1")) ids.add(AgeKeys.parseIdentity(k));
        else others = true;
      }
      boolean usable = !ids.isEmpty() || h.get("passphrase") != null;
      if ("yes".equals(h.get("armored"))
          || !usable
          || (others && "success".equals(h.get("expect")))
          || h.keySet().stream().anyMatch(k -> !KNOWN.contains(k))) {
        skipped++;
        continue;
      }
      Age.DecryptionKeys keys =
          new Age.DecryptionKeys(
              ids, h.get("passphrase") == null ? null : h.get("passphrase").toCharArray());
      String expect = h.get("expect");
      String outcome;
      byte[] plain = null;
      try (InputStream in = Age.decrypt(new ByteArrayInputStream(v.file()), keys)) {
        plain = in.readAllBytes();
        outcome = "success";
      } catch (AgeException e) {
        outcome = e.kind() == AgeException.Kind.NO_MATCHING_KEY ? "no match" : "failure";
      } catch (IOException e) {
        outcome =
            e.getCause() instanceof AgeException ae
                    && ae.kind() == AgeException.Kind.NO_MATCHING_KEY
                ? "no match"
                : e.getCause() instanceof AgeException ? "failure" : "io: " + e;
      } catch (RuntimeException e) {
        outcome = "crash: " + e; // never acceptable: a hostile file must end in an age error
      }
      checked++;
      boolean ok =
          switch (expect) {
            case "success" ->
                outcome.equals("success")
                    && HexFormat.of()
                        .formatHex(HashingOutputStream.sha256().digest(plain))
                        .equals(h.get("payload"));
            case "no match" -> outcome.equals("no match");
            case "header failure", "payload failure", "armor failure", "HMAC failure" ->
                outcome.equals("failure") || outcome.equals("no match");
            default -> false;
          };
      if (!ok)
        wrong.add(
            v.name()
                + ": expected "
                + expect
                + ", got "
                + outcome
                + (h.containsKey("comment") ? " (" + h.get("comment") + ")" : ""));
    }
    assertThat(wrong).as("vectors decrypted against their expectation").isEmpty();
    assertThat(checked)
        .as("vectors that apply to X25519 and scrypt without armor")
        .isGreaterThanOrEqualTo(90);
    System.out.println(
        "CCTV age vectors: "
            + checked
            + " checked, "
            + skipped
            + " left out (armor, other recipient types)");
  }

  static final Set<String> KNOWN =
      Set.of(
          "expect",
          "payload",
          "file key",
          "identity",
          "passphrase",
          "armored",
          "compressed",
          "comment");

  /**
   * The vectors from the package's index.js: each {@code // ../testdata/NAME} then {@code
   * __toBinary("BASE64")}.
   */
  static List<Vector> vectors() throws Exception {
    String js = Files.readString(fetch().resolve("package/index.js"), StandardCharsets.UTF_8);
    Matcher m =
        Pattern.compile(
                "// \\.\\./testdata/(\\S+)\\nvar \\S+ = __toBinary\\(\"([A-Za-z0-9+/=]+)\"\\);")
            .matcher(js);
    List<Vector> out = new ArrayList<>();
    while (m.find()) {
      byte[] raw = Base64.getDecoder().decode(m.group(2));
      int split = indexOf(raw, "\n\n".getBytes(StandardCharsets.US_ASCII));
      Map<String, String> header = new LinkedHashMap<>();
      for (String line : new String(raw, 0, split, StandardCharsets.UTF_8).split("\n")) {
        int c = line.indexOf(": ");
        header.merge(line.substring(0, c), line.substring(c + 2), (a, b) -> a + "\n" + b);
      }
      byte[] body = Arrays.copyOfRange(raw, split + 2, raw.length);
      if ("zlib".equals(header.get("compressed")))
        body = new InflaterInputStream(new ByteArrayInputStream(body)).readAllBytes();
      out.add(new Vector(m.group(1), header, body));
    }
    assertThat(out).as("vectors found in index.js").hasSizeGreaterThan(100);
    return out;
  }

  static int indexOf(byte[] a, byte[] b) {
    outer:
    for (int i = 0; i + b.length <= a.length; i++) {
      for (int j = 0; j < b.length; j++) if (a[i + j] != b[j]) continue outer;
      return i;
    }
    throw new IllegalArgumentException("no blank line after the vector's header");
  }

  /** The unpacked package, fetched with npm into the user's cache once. */
  static Path fetch() throws Exception {
    Path dir =
        Path.of(System.getProperty("user.home"), ".cache", "coffer", PACKAGE.replace('@', '-'));
    if (Files.isRegularFile(dir.resolve("package/index.js"))) return dir;
    Files.createDirectories(dir);
    try {
      run(dir, "npm", "pack", PACKAGE, "--silent");
      try (var s = Files.list(dir)) {
        Path tgz = s.filter(p -> p.toString().endsWith(".tgz")).findFirst().orElseThrow();
        run(dir, "tar", "xzf", tgz.getFileName().toString());
      }
    } catch (IOException e) {
      String msg =
          "cannot fetch the age test vectors (" + PACKAGE + ") with npm: " + e.getMessage();
      if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(msg + " - CI=true requires them");
      Assumptions.abort(msg + "; skipped");
    }
    return dir;
  }

  static void run(Path dir, String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0)
      throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
  }
}
