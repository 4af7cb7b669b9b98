package io.coffer.testing;

import io.coffer.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs {@code coffer} in this JVM, exactly as {@code main} does but without {@code System.exit},
 * capturing what it prints: for test matrices where a process per run would cost a JVM start each.
 * Without a console (so a prompt is never answered) and with this JVM's environment (so secrets
 * come from options, never from COFFER_* variables).
 */
public final class Coffer {
  private Coffer() {}

  public record Run(int exit, String out, String err) {
    /** What a person reads: standard output and error. */
    public String all() {
      return out + err;
    }
  }

  public static synchronized Run run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try (PrintStream po = new PrintStream(o, true, StandardCharsets.UTF_8);
        PrintStream pe = new PrintStream(e, true, StandardCharsets.UTF_8)) {
      System.setOut(po);
      System.setErr(pe);
      int code = Main.run(args);
      po.flush();
      pe.flush();
      return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }
}
