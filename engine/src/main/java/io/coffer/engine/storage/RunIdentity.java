package io.coffer.engine.storage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which process holds a lock: the machine's boot, the host name, the process id and the moment that
 * process started (in clock ticks since boot, from {@code /proc}). A lock written on this machine,
 * since this boot, by a process that no longer runs (no such pid, or a pid reused by a later
 * process) belongs to a run that died: it can be taken over at once instead of after its heartbeat
 * goes stale (a failed run whose storage went away could not release it).
 */
public record RunIdentity(String boot, String host, long pid, long started, String pidNamespace) {
  public RunIdentity(String boot, String host, long pid, long started) {
    this(boot, host, pid, started, null);
  }

  public static RunIdentity current() {
    long pid = ProcessHandle.current().pid();
    return new RunIdentity(
        read("/proc/sys/kernel/random/boot_id"),
        read("/proc/sys/kernel/hostname"),
        pid,
        startTicks(pid),
        currentPidNamespace());
  }

  /** Which process-id namespace this process lives in: pids mean something only inside one. */
  private static String currentPidNamespace() {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
    } catch (Exception e) {
      return "";
    }
  }

  /** Whether this identity names a process of this machine and boot that has ended. */
  public boolean endedHere() {
    RunIdentity me = current();
    if (boot == null
        || boot.isEmpty()
        || !boot.equals(me.boot())
        || host == null
        || !host.equals(me.host())) return false;
    if (pidNamespace == null || pidNamespace.isEmpty() || !pidNamespace.equals(me.pidNamespace()))
      return false; // another container's pids
    if (pid == me.pid() && started == me.started()) return false; // this very process
    long now = startTicks(pid);
    return now < 0 || now != started;
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
    } catch (Exception e) {
      return "";
    }
  }

  /**
   * Field 22 of {@code /proc/PID/stat} (after the command name, which may hold spaces), or -1 when
   * there is no such process.
   */
  static long startTicks(long pid) {
    String stat = read("/proc/" + pid + "/stat");
    int close = stat.lastIndexOf(')');
    if (close < 0) return -1;
    String[] f = stat.substring(close + 2).split(" ");
    try {
      return f.length > 19 ? Long.parseLong(f[19]) : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
