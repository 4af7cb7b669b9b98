package io.coffer.demo;

import java.io.PrintStream;

/**
 * The demo's output: steps, details and tables, plain text so it reads the same in a terminal and a
 * CI log.
 */
final class Console {
  private final PrintStream out = System.out;

  synchronized void title(String text) {
    out.println(text);
    out.println("=".repeat(Math.min(text.length(), 100)));
  }

  synchronized void step(String n, String text) {
    out.println();
    out.println("[" + n + "] " + text);
  }

  synchronized void detail(String text) {
    out.println("      " + text);
  }

  synchronized void line(String text) {
    out.println(text);
  }

  synchronized void blank() {
    out.println();
  }
}
