package io.coffer.engine.base;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/** The one Jackson mapper of the engine: manifests, descriptors, results, progress lines. */
public final class Json {
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);

  private Json() {}

  public static String write(Object o) {
    try {
      return MAPPER.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The same text as {@link #pretty}, written to {@code out} as it is made (no string of it in
   * memory); {@code out} stays open.
   */
  public static void writePretty(Object o, OutputStream out) throws IOException {
    MAPPER
        .writerWithDefaultPrettyPrinter()
        .without(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
        .writeValue(out, o);
  }

  public static String pretty(Object o) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** For what Coffer wrote itself moments ago (results, progress). */
  public static <T> T read(byte[] bytes, Class<T> type) throws IOException {
    return MAPPER.readValue(bytes, type);
  }

  private static final ObjectMapper STRICT =
      MAPPER
          .copy()
          .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
          .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS);

  /**
   * For what was read from storage or an archive (descriptors, manifests, locks): one value, no key
   * twice, no strings for numbers; any failure is an {@link IOException} (Jackson's own limits
   * bound nesting and string sizes).
   */
  public static <T> T readUntrusted(byte[] bytes, Class<T> type) throws IOException {
    try {
      return STRICT.readValue(bytes, type);
    } catch (RuntimeException e) {
      throw new IOException(
          "not a valid " + type.getSimpleName() + ": " + e.getClass().getSimpleName(), e);
    }
  }
}
