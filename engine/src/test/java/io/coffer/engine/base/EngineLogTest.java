package io.coffer.engine.base;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The log's bounds: every line is echoed, a bounded number kept, the rest counted. */
class EngineLogTest {
  @Test
  void givenAMillionWarnings_thenEachIsEchoed_butAtMostTwiceTheLimitIsKept_andTheRestCounted() {
    AtomicInteger echoed = new AtomicInteger();
    EngineLog log = new EngineLog(l -> echoed.incrementAndGet());
    for (int i = 0; i < EngineLog.MAX_LINES; i++) log.info("file " + i);
    for (int i = 0; i < 1_000_000; i++) log.warn("unreadable file " + i);
    log.info("the end");
    assertThat(echoed.get()).isEqualTo(EngineLog.MAX_LINES + 1_000_001);
    assertThat(log.lines()).hasSize(2 * EngineLog.MAX_LINES);
    assertThat(log.warnings()).isEqualTo(1_000_000);
    String text = new String(log.bytes(), StandardCharsets.UTF_8);
    assertThat(text)
        .contains("(1 informational lines left out)")
        .contains("(" + (1_000_000 - EngineLog.MAX_LINES) + " more warnings and errors left out");
  }
}
