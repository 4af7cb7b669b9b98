package io.coffer.engine.mongo;

import io.coffer.engine.base.CofferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Named groups of collections, read from YAML:
 *
 * <pre>modules:
 *   hr: [erp.employees, erp.departments]
 *   finance: [erp.invoices, "erp.ledger_*"]</pre>
 */
public record ModuleMap(Map<String, List<String>> modules) {

  public static ModuleMap read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw CofferException.usage("cannot read module map " + file + ": " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  public static ModuleMap parse(String yaml, String origin) {
    Object root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
    } catch (RuntimeException e) {
      throw CofferException.usage(
          "module map " + origin + " is not valid YAML: " + firstLine(e.getMessage()));
    }
    if (!(root instanceof Map<?, ?> top) || !(top.get("modules") instanceof Map<?, ?> mods)) {
      throw CofferException.usage(
          "module map "
              + origin
              + " must have a top-level 'modules:' mapping of name -> list of collection patterns");
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : mods.entrySet()) {
      String name = String.valueOf(e.getKey());
      if (!name.matches("[a-z0-9][a-z0-9_-]*")) {
        throw CofferException.usage(
            "module map "
                + origin
                + ": module name '"
                + name
                + "' must be lower-case letters, digits, '-' or '_'");
      }
      if (!(e.getValue() instanceof List<?> list) || list.isEmpty()) {
        throw CofferException.usage(
            "module map "
                + origin
                + ": module '"
                + name
                + "' must list at least one collection pattern");
      }
      List<String> patterns = new ArrayList<>();
      for (Object o : list) {
        if (!(o instanceof String s) || s.isBlank()) {
          throw CofferException.usage(
              "module map "
                  + origin
                  + ": module '"
                  + name
                  + "' has a pattern that is not a string");
        }
        Selection.compile(s);
        patterns.add(s);
      }
      out.put(name, List.copyOf(patterns));
    }
    return new ModuleMap(Collections.unmodifiableMap(out));
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int i = s.indexOf('\n');
    return i < 0 ? s : s.substring(0, i);
  }
}
