package io.coffer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File names beyond ASCII under the C locale, where the JVM decodes file names as ASCII: `coffer`
 * in a JVM of its own, as a shell starts it (real processes, real locale settings). Under LANG=C a
 * backup of "Vertrag-Müller.pdf" ends with one line that says to use a UTF-8 locale (exit 2) and
 * stores nothing; with LC_ALL=C.UTF-8, which ./coffer sets when the locale is not UTF-8 (and the
 * image sets LANG=C.UTF-8), the same backup and its restore work.
 */
class LocaleCliIT {
  @TempDir Path dir;

  record Run(int exit, String err) {}

  Run coffer(Map<String, String> locale, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    cmd.add("io.coffer.cli.Main");
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG"));
    pb.environment().putAll(locale);
    Path err = dir.resolve("err.txt");
    pb.redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    int exit = pb.start().waitFor();
    return new Run(exit, Files.readString(err));
  }

  Run backup(Map<String, String> locale, Path src, String store, String id) throws Exception {
    return coffer(
        locale,
        "backup",
        "--type",
        "files",
        "--files",
        "up=" + src,
        "--storage",
        store,
        "--id",
        id,
        "--progress",
        "none");
  }

  @Test
  void givenANonAsciiFileName_underLangC_thenOneClearLine_exit2_andUnderUtf8ItRoundTrips()
      throws Exception {
    Path src = Files.createDirectories(dir.resolve("uploads"));
    Files.writeString(src.resolve("Vertrag-Müller.pdf"), "unterschrieben");
    String store = "file://" + dir.resolve("store");
    Run c = backup(Map.of("LANG", "C"), src, store, "ascii");
    assertThat(c.exit()).as(c.err()).isEqualTo(2);
    List<String> errors = c.err().lines().filter(l -> l.startsWith("coffer: error:")).toList();
    assertThat(errors).hasSize(1);
    assertThat(errors.get(0)).contains("UTF-8 locale").doesNotContain("Exception");
    assertThat(dir.resolve("store/ascii/backup.json")).doesNotExist();

    Map<String, String> utf8 = Map.of("LANG", "C", "LC_ALL", "C.UTF-8");
    Run b = backup(utf8, src, store, "utf8");
    assertThat(b.exit()).as(b.err()).isZero();
    assertThat(dir.resolve("store/utf8/backup.json"))
        .as("where a backup's descriptor lies")
        .exists();
    Path out = dir.resolve("out");
    Run r =
        coffer(
            utf8,
            "restore",
            "--storage",
            store,
            "--backup",
            "utf8",
            "--files-target",
            "up=" + out,
            "--progress",
            "none");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(out.resolve("Vertrag-Müller.pdf")).hasContent("unterschrieben");
  }
}
