package io.coffer.engine.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zip writer's central directory, kept in memory or, past its limit, in a temporary file: the
 * same bytes either way, read back by the JDK's zip reader (which reads the central directory) and
 * the real unzip, and no temporary file left. Nothing simulated.
 */
class ZipStreamWriterTest {
  @TempDir Path dir;

  /**
   * 4,000 directories and 400 files (some larger than a block), with the given limit; {@code
   * spilled}: whether the records went to a temporary file.
   */
  static byte[] zip(int centralInMemory, boolean spilled) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Random random = new Random(5);
    ZipStreamWriter w = new ZipStreamWriter(out, 2, centralInMemory);
    try (ZipStreamWriter z = w) {
      for (int i = 0; i < 4000; i++) z.directory("files/up/d" + i + "/", 1_700_000_000_000L, 0755);
      for (int i = 0; i < 400; i++) {
        z.startEntry("files/up/d" + i + "/f" + i + ".txt", 1_700_000_000_000L, 0644, 6);
        byte[] data =
            i % 100 == 0
                ? new byte[ZipStreamWriter.BLOCK * 2 + 7]
                : ("document " + i + " ").repeat(i).getBytes(StandardCharsets.UTF_8);
        if (i % 100 == 0) random.nextBytes(data);
        z.write(data, 0, data.length);
        z.closeEntry();
      }
    }
    assertThat(w.centralSpilled()).isEqualTo(spilled);
    return out.toByteArray();
  }

  static long temporaryFiles() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("coffer-zip-central-")).count();
    }
  }

  @Test
  void givenMoreEntriesThanTheMemoryLimit_thenTheSameZipComesOut_andNoTemporaryFileStays()
      throws Exception {
    long before = temporaryFiles();
    byte[] inMemory = zip(ZipStreamWriter.CENTRAL_IN_MEMORY, false);
    byte[] spilled = zip(1024, true);
    assertThat(spilled).as("the same bytes, whatever held the records").isEqualTo(inMemory);
    assertThat(temporaryFiles()).isEqualTo(before);

    Path file = dir.resolve("many.zip");
    Files.write(file, spilled);
    try (ZipFile z = new ZipFile(file.toFile())) {
      List<? extends ZipEntry> entries = Collections.list(z.entries());
      assertThat(entries).hasSize(4400);
      ZipEntry f = z.getEntry("files/up/d7/f7.txt");
      assertThat(new String(z.getInputStream(f).readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("document 7 ".repeat(7));
      assertThat(z.getEntry("files/up/d100/f100.txt").getSize())
          .isEqualTo(ZipStreamWriter.BLOCK * 2 + 7);
    }
    Process unzip =
        new ProcessBuilder("unzip", "-tqq", file.toString()).redirectErrorStream(true).start();
    String said = new String(unzip.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(unzip.waitFor()).as(said).isZero();
  }

  @Test
  void givenAnAbortedZip_thenItsTemporaryFileIsRemovedToo() throws Exception {
    long before = temporaryFiles();
    ZipStreamWriter z = new ZipStreamWriter(new ByteArrayOutputStream(), 1, 64);
    for (int i = 0; i < 200; i++) z.directory("d" + i + "/", 1_700_000_000_000L, 0755);
    z.startEntry("f", 1_700_000_000_000L, 0644, 6);
    z.write(new byte[10], 0, 10);
    z.abort();
    assertThat(z.centralSpilled()).isTrue();
    assertThat(temporaryFiles()).isEqualTo(before);
  }
}
