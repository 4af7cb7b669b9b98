package io.coffer.cli;

import io.coffer.engine.base.Json;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the operator's text log into one JSON object per line ({@code ts}, {@code level}, {@code
 * logger}, {@code msg}), for log collectors. It sits under System.err and reads the lines
 * slf4j-simple writes ({@code 2026-11-26T16:20:29.123+0000 INFO BackupReconciler - message}); other
 * lines (a stack trace, a plain println) become objects of their own, stack lines at level ERROR.
 */
final class JsonLogLines extends OutputStream {
  private static final Pattern RECORD =
      Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT\\S+) (TRACE|DEBUG|INFO|WARN|ERROR) (\\S+) - (.*)$");
  private static final Pattern STACK =
      Pattern.compile(
          "^(\\s+at |\\s*\\.\\.\\. \\d+ more|Caused by: |\\s+Suppressed: |([a-zA-Z_$][\\w$]*\\.)+[\\w$]*(Exception|Error)(: |$)).*");
  private static final DateTimeFormatter SIMPLE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");
  private final PrintStream out;
  private final Clock clock;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  JsonLogLines(PrintStream out, Clock clock) {
    this.out = out;
    this.clock = clock;
  }

  /** Sends everything written to System.err through this converter from now on. */
  static void install() {
    System.setErr(
        new PrintStream(
            new JsonLogLines(System.err, Clock.systemUTC()), true, StandardCharsets.UTF_8));
  }

  @Override
  public synchronized void write(int b) {
    if (b == '\n') {
      emit(line.toString(StandardCharsets.UTF_8));
      line.reset();
    } else {
      line.write(b);
    }
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) {
    for (int i = off; i < off + len; i++) write(b[i]);
  }

  @Override
  public synchronized void flush() {
    out.flush();
  }

  /** One text line as one JSON object. */
  String convert(String text) {
    if (text.endsWith("\r")) text = text.substring(0, text.length() - 1);
    Map<String, String> o = new LinkedHashMap<>();
    Matcher m = RECORD.matcher(text);
    if (m.matches()) {
      o.put("ts", time(m.group(1)));
      o.put("level", m.group(2));
      o.put("logger", m.group(3));
      o.put("msg", m.group(4));
    } else {
      o.put("ts", Instant.now(clock).toString());
      o.put("level", STACK.matcher(text).matches() ? "ERROR" : "INFO");
      o.put("msg", text);
    }
    return Json.write(o);
  }

  private String time(String text) {
    try {
      return OffsetDateTime.parse(text, SIMPLE).toInstant().toString();
    } catch (DateTimeParseException e) {
      return text;
    }
  }

  private void emit(String text) {
    if (text.isBlank()) return;
    out.println(convert(text));
  }
}
