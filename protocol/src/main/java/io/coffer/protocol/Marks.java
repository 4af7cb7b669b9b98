package io.coffer.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the field marks in an engine message ({@link Field#mark()}) and puts a reader's words in
 * their place. A mark that names no field (text from elsewhere that happens to hold the brackets)
 * is left as it is.
 */
public final class Marks {
  private Marks() {}

  /** A reader's word for a field: {@code index} is the list element a mark names, or null. */
  @FunctionalInterface
  public interface Words {
    String word(Field field, Integer index);
  }

  /** A mark found in a message. */
  public record Mark(Field field, Integer index) {}

  public static String render(String message, Words words) {
    if (message == null || message.indexOf(Field.OPEN) < 0) return message;
    StringBuilder out = new StringBuilder(message.length() + 32);
    int at = 0;
    while (at < message.length()) {
      int open = message.indexOf(Field.OPEN, at);
      int close = open < 0 ? -1 : message.indexOf(Field.CLOSE, open + 1);
      if (open < 0 || close < 0) {
        out.append(message, at, message.length());
        break;
      }
      Mark m = parse(message.substring(open + 1, close));
      out.append(message, at, open);
      out.append(m == null ? message.substring(open, close + 1) : words.word(m.field(), m.index()));
      at = close + 1;
    }
    return out.toString();
  }

  /** The marks of a message, in order. */
  public static List<Mark> marks(String message) {
    List<Mark> out = new ArrayList<>();
    render(
        message,
        (f, i) -> {
          out.add(new Mark(f, i));
          return "";
        });
    return out;
  }

  /**
   * The message with each mark replaced by the request path it names ({@code files[1]}): for logs
   * and people without a better word.
   */
  public static String paths(String message) {
    return render(message, (f, i) -> i == null ? f.path() : f.path() + "[" + i + "]");
  }

  private static Mark parse(String inside) {
    String path = inside;
    Integer index = null;
    int bracket = inside.indexOf('[');
    if (bracket > 0 && inside.endsWith("]")) {
      path = inside.substring(0, bracket);
      try {
        index = Integer.parseInt(inside.substring(bracket + 1, inside.length() - 1));
      } catch (NumberFormatException e) {
        return null;
      }
      if (index < 0) return null;
    }
    Field f = Field.byPath(path);
    return f == null ? null : new Mark(f, index);
  }
}
