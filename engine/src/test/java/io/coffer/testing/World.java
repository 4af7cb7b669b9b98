package io.coffer.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Everything under a folder as one comparable value: each path's kind, mode, modification time, and
 * content or link target, links never followed. Two snapshots are equal only if nothing was
 * created, written, renamed, deleted, chmod-ed or touched in between.
 */
public final class World {
  private World() {}

  public static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return out;
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        PosixFileAttributes a =
            Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String rel = root.relativize(p).toString();
        String what;
        if (a.isSymbolicLink()) what = "link -> " + Files.readSymbolicLink(p);
        else if (a.isDirectory())
          what =
              "dir "
                  + PosixFilePermissions.toString(a.permissions())
                  + " "
                  + a.lastModifiedTime().toMillis();
        else
          what =
              "file "
                  + PosixFilePermissions.toString(a.permissions())
                  + " "
                  + a.lastModifiedTime().toMillis()
                  + " "
                  + Arrays.hashCode(Files.readAllBytes(p));
        out.put(rel, what);
      }
    }
    return out;
  }
}
