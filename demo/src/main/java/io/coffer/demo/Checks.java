package io.coffer.demo;

import java.util.ArrayList;
import java.util.List;

/** What the demo promises, each with what was seen. */
final class Checks {
  record Check(String what, boolean ok, String seen) {}

  private final List<Check> checks = new ArrayList<>();

  void add(String what, boolean ok, String seen) {
    checks.add(new Check(what, ok, seen == null ? "" : seen));
  }

  boolean allPassed() {
    return !checks.isEmpty() && checks.stream().allMatch(Check::ok);
  }

  List<Check> all() {
    return List.copyOf(checks);
  }

  void print(Console out) {
    out.line("Checks");
    for (Check c : checks)
      out.line(String.format("  %s %-54s %s", c.ok() ? "[ok]  " : "[FAIL]", c.what(), c.seen()));
  }
}
