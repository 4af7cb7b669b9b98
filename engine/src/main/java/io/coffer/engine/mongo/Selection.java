package io.coffer.engine.mongo;

import io.coffer.engine.base.CofferException;
import io.coffer.protocol.Field;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which collections a backup or restore takes: include / exclude patterns over {@code
 * db.collection} ({@code *} and {@code ?} wildcards; a bare name means a whole database; a leading
 * {@code !} excludes), plus named modules from a {@link ModuleMap}. With no include pattern and no
 * module, everything is taken except the system databases (admin, local, config) and {@code
 * system.*} collections.
 */
public final class Selection {
  private static final List<String> SYSTEM_DBS = List.of("admin", "local", "config");
  private final List<String> include;
  private final List<String> exclude;
  private final List<String> modules;
  private final List<Pattern> includePatterns = new ArrayList<>();
  private final List<Pattern> excludePatterns = new ArrayList<>();

  /** Module name -> its patterns, in the order of the map. */
  private final Map<String, List<Pattern>> modulePatterns = new LinkedHashMap<>();

  public Selection(
      List<String> include, List<String> exclude, List<String> modules, ModuleMap map) {
    List<String> inc = new ArrayList<>();
    List<String> exc = new ArrayList<>(exclude);
    for (String p : include) {
      if (p.startsWith("!")) exc.add(p.substring(1));
      else inc.add(p);
    }
    this.include = List.copyOf(inc);
    this.exclude = List.copyOf(exc);
    this.modules = List.copyOf(modules);
    for (String p : inc) includePatterns.add(compile(p));
    for (String p : exc) excludePatterns.add(compile(p));
    if (!modules.isEmpty() && map == null) {
      throw CofferException.usage(
          Field.MODULES.mark()
              + " needs a module map: give "
              + Field.MODULE_MAP.mark()
              + " FILE (see samples/rayerp-modules.yaml)");
    }
    if (map != null) {
      for (String m : modules) {
        if (!map.modules().containsKey(m)) {
          throw CofferException.usage(
              Field.MODULES.mark()
                  + " names unknown module '"
                  + m
                  + "'; the module map defines: "
                  + String.join(", ", map.modules().keySet()));
        }
      }
      for (Map.Entry<String, List<String>> e : map.modules().entrySet()) {
        List<Pattern> ps = new ArrayList<>();
        for (String p : e.getValue()) ps.add(compile(p));
        modulePatterns.put(e.getKey(), ps);
      }
    }
  }

  public static Selection all() {
    return new Selection(List.of(), List.of(), List.of(), null);
  }

  /**
   * Turns a pattern into a regex over "db.collection"; a pattern without a dot names a database.
   */
  static Pattern compile(String pattern) {
    if (pattern.isBlank())
      throw CofferException.usage("empty collection pattern; use db.collection, db.* or db");
    String p = pattern.contains(".") ? pattern : pattern + ".*";
    StringBuilder re = new StringBuilder();
    for (char c : p.toCharArray()) {
      switch (c) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString(), Pattern.DOTALL);
  }

  public boolean includesDatabase(String db) {
    if (includePatterns.isEmpty() && modules.isEmpty()) return !SYSTEM_DBS.contains(db);
    return true;
  }

  public boolean includes(String db, String collection) {
    String ns = db + "." + collection;
    if (collection.startsWith("system.") || collection.startsWith(MongoRestorer.STAGING_PREFIX))
      return false;
    for (Pattern p : excludePatterns) {
      if (p.matcher(ns).matches()) return false;
    }
    if (includePatterns.isEmpty() && modules.isEmpty()) return !SYSTEM_DBS.contains(db);
    for (Pattern p : includePatterns) {
      if (p.matcher(ns).matches()) return true;
    }
    for (String m : modules) {
      for (Pattern p : modulePatterns.get(m)) {
        if (p.matcher(ns).matches()) return true;
      }
    }
    return false;
  }

  /** The first module (in map order) whose patterns match, if a map was given. */
  public Optional<String> moduleOf(String db, String collection) {
    String ns = db + "." + collection;
    for (Map.Entry<String, List<Pattern>> e : modulePatterns.entrySet()) {
      if (!modules.isEmpty() && !modules.contains(e.getKey())) continue;
      for (Pattern p : e.getValue()) {
        if (p.matcher(ns).matches()) return Optional.of(e.getKey());
      }
    }
    return Optional.empty();
  }

  public List<String> include() {
    return include;
  }

  public List<String> exclude() {
    return exclude;
  }

  public List<String> modules() {
    return modules;
  }

  public boolean isEverything() {
    return include.isEmpty() && exclude.isEmpty() && modules.isEmpty();
  }
}
