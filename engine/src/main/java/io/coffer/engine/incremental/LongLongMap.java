package io.coffer.engine.incremental;

/**
 * An open-addressing map from long to long (16 bytes an entry at 50 % load), for a collection's
 * document hashes: a million documents take 32 MiB, not the 100 MiB of boxed maps. Keys are already
 * hashes.
 */
final class LongLongMap {
  private long[] keys;
  private long[] values;
  private boolean[] taken;
  private int size;

  LongLongMap(int expected) {
    int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    keys = new long[cap];
    values = new long[cap];
    taken = new boolean[cap];
  }

  int size() {
    return size;
  }

  void put(long key, long value) {
    if (size * 2 >= keys.length) grow();
    int i = slot(key);
    if (!taken[i]) {
      taken[i] = true;
      keys[i] = key;
      size++;
    }
    values[i] = value;
  }

  /** The value, or {@code missing} when absent. */
  long get(long key, long missing) {
    int i = slot(key);
    return taken[i] ? values[i] : missing;
  }

  boolean contains(long key) {
    return taken[slot(key)];
  }

  /** Removes a key; returns whether it was there. */
  boolean remove(long key) {
    int i = slot(key);
    if (!taken[i]) return false;
    taken[i] = false;
    size--;
    // re-insert the rest of the probe run, so lookups never stop early
    int mask = keys.length - 1;
    for (int j = (i + 1) & mask; taken[j]; j = (j + 1) & mask) {
      taken[j] = false;
      size--;
      put(keys[j], values[j]);
    }
    return true;
  }

  private int slot(long key) {
    int mask = keys.length - 1;
    int i = (int) (mix(key) & mask);
    while (taken[i] && keys[i] != key) i = (i + 1) & mask;
    return i;
  }

  private static long mix(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    return k;
  }

  private void grow() {
    long[] k = keys;
    long[] v = values;
    boolean[] t = taken;
    keys = new long[k.length * 2];
    values = new long[k.length * 2];
    taken = new boolean[k.length * 2];
    size = 0;
    for (int i = 0; i < k.length; i++) if (t[i]) put(k[i], v[i]);
  }

  @Override
  public String toString() {
    return "LongLongMap(" + size + ")";
  }
}
