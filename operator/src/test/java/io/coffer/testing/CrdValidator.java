package io.coffer.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What the API server would check at admission, done in tests against the generated CRD: the
 * OpenAPI schema (types, required, enum, pattern, minimum / maximum) and the
 * x-kubernetes-validations CEL rules (with dev.cel). The fabric8 mock enforces none of it. Rules
 * that use oldSelf (transition rules) apply to updates only and are checked by {@link
 * #validateUpdate}.
 */
public final class CrdValidator implements Validator {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final CelCompiler COMPILER =
      CelCompilerFactory.standardCelCompilerBuilder()
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar("self", SimpleType.DYN)
          .addVar("oldSelf", SimpleType.DYN)
          .build();
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();
  private final JsonNode schema;

  public CrdValidator(Path crd) throws IOException {
    this.schema =
        YAML.readTree(crd.toFile())
            .path("spec")
            .path("versions")
            .get(0)
            .path("schema")
            .path("openAPIV3Schema");
  }

  /**
   * The errors a create of this object would get, as "path: message". Empty when it would be
   * admitted.
   */
  @Override
  public List<String> validate(JsonNode object) {
    List<String> errors = new ArrayList<>();
    check(schema, defaulted(schema, object), null, "", errors);
    return asTheServerSaysIt(errors);
  }

  @Override
  public List<String> validateUpdate(JsonNode oldObject, JsonNode newObject) {
    List<String> errors = new ArrayList<>();
    check(schema, defaulted(schema, newObject), defaulted(schema, oldObject), "", errors);
    return asTheServerSaysIt(errors);
  }

  /** A copy with schema defaults filled in, as the API server does before it validates. */
  static JsonNode defaulted(JsonNode s, JsonNode v) {
    if (v == null || !v.isObject()) return v;
    com.fasterxml.jackson.databind.node.ObjectNode copy =
        ((com.fasterxml.jackson.databind.node.ObjectNode) v).deepCopy();
    JsonNode props = s.path("properties");
    props
        .fields()
        .forEachRemaining(
            e -> {
              if (!copy.has(e.getKey()) && e.getValue().has("default"))
                copy.set(e.getKey(), e.getValue().get("default"));
              if (copy.has(e.getKey()))
                copy.set(e.getKey(), defaulted(e.getValue(), copy.get(e.getKey())));
            });
    return copy;
  }

  private void check(JsonNode s, JsonNode v, JsonNode old, String path, List<String> errors) {
    if (v == null || v.isNull()) return;
    String type = s.path("type").asText("");
    switch (type) {
      case "object" -> {
        if (!v.isObject()) {
          errors.add(path + ": must be an object");
          return;
        }
        for (JsonNode r : s.path("required")) {
          if (!v.has(r.asText())) errors.add(path + "." + r.asText() + ": Required value");
        }
        JsonNode props = s.path("properties");
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
          var e = it.next();
          if (props.has(e.getKey())) {
            check(
                props.get(e.getKey()),
                e.getValue(),
                old == null ? null : old.get(e.getKey()),
                path + "." + e.getKey(),
                errors);
          } else if (s.has("additionalProperties") && s.get("additionalProperties").isObject()) {
            check(
                s.get("additionalProperties"), e.getValue(), null, path + "." + e.getKey(), errors);
          } else if (!props.isMissingNode()
              && !s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)
              && !path.isEmpty()) {
            errors.add(path + "." + e.getKey() + ": unknown field");
          }
        }
      }
      case "array" -> {
        if (!v.isArray()) {
          errors.add(path + ": must be an array");
          return;
        }
        for (int i = 0; i < v.size(); i++)
          check(s.path("items"), v.get(i), null, path + "[" + i + "]", errors);
      }
      case "string" -> {
        if (!v.isTextual()) errors.add(path + ": must be a string");
        else {
          if (s.has("pattern")
              && !Pattern.compile(s.get("pattern").asText()).matcher(v.asText()).find()) {
            errors.add(path + ": should match '" + s.get("pattern").asText() + "'");
          }
          if (s.has("enum")) {
            boolean ok = false;
            for (JsonNode e : s.get("enum")) ok |= e.asText().equals(v.asText());
            if (!ok) errors.add(path + ": Unsupported value: \"" + v.asText() + "\"");
          }
        }
      }
      case "integer", "number" -> {
        if (!v.isNumber())
          errors.add(
              path
                  + ": Invalid value: \"string\": "
                  + path.substring(1)
                  + " in body must be of type integer");
        else {
          if (s.has("minimum") && v.asDouble() < s.get("minimum").asDouble())
            errors.add(path + ": should be greater than or equal to " + s.get("minimum").asLong());
          if (s.has("maximum") && v.asDouble() > s.get("maximum").asDouble())
            errors.add(path + ": should be less than or equal to " + s.get("maximum").asLong());
        }
      }
      case "boolean" -> {
        if (!v.isBoolean()) errors.add(path + ": must be a boolean");
      }
      default -> {}
    }
    for (JsonNode rule : s.path("x-kubernetes-validations")) {
      String expr = rule.get("rule").asText();
      boolean transition = expr.contains("oldSelf");
      if (transition && old == null) continue;
      try {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("self", plain(v));
        if (transition) vars.put("oldSelf", plain(old));
        Object result = RUNTIME.createProgram(COMPILER.compile(expr).getAst()).eval(vars);
        if (!Boolean.TRUE.equals(result))
          errors.add(path + ": " + rule.path("message").asText(expr));
      } catch (Exception e) {
        errors.add(path + ": rule " + expr + " failed to evaluate: " + e.getMessage());
      }
    }
  }

  /** JSON to the plain values CEL takes: maps, lists, strings, Long, Double, Boolean. */
  static Object plain(JsonNode n) {
    if (n == null || n.isNull()) return null;
    if (n.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      n.fields().forEachRemaining(e -> m.put(e.getKey(), plain(e.getValue())));
      return m;
    }
    if (n.isArray()) {
      List<Object> l = new ArrayList<>();
      n.forEach(x -> l.add(plain(x)));
      return l;
    }
    if (n.isIntegralNumber()) return n.asLong();
    if (n.isNumber()) return n.asDouble();
    if (n.isBoolean()) return n.asBoolean();
    return n.asText();
  }

  /**
   * Paths as the API server prints them: {@code spec.type}, without the leading dot of the walk.
   */
  private static List<String> asTheServerSaysIt(List<String> errors) {
    return errors.stream().map(e -> e.startsWith(".") ? e.substring(1) : e).toList();
  }
}
