package io.coffer.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A build step (exec-maven-plugin, after the CRD generator): puts each CRD's
 * additionalPrinterColumns in the order the {@link AdditionalPrinterColumn} annotations are
 * declared, which is the order {@code kubectl get} shows them. The generator sorts them by JSON
 * path (fabric8 issue #7454), which would make AGE the first column. Only the order of whole column
 * entries changes; every byte of each entry stays as generated.
 *
 * <p>Usage: {@code PrinterColumnOrder <dir with generated CRDs>}.
 */
public final class PrinterColumnOrder {
  static final List<Class<? extends CustomResource<?, ?>>> KINDS =
      List.of(Backup.class, BackupSchedule.class, Restore.class);

  private PrinterColumnOrder() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1)
      throw new IllegalArgumentException("usage: PrinterColumnOrder <directory of generated CRDs>");
    for (Class<? extends CustomResource<?, ?>> kind : KINDS) {
      Path file = Path.of(args[0], CustomResource.getCRDName(kind) + "-v1.yml");
      String yaml = Files.readString(file, StandardCharsets.UTF_8);
      String ordered =
          reorder(
              yaml,
              Arrays.stream(kind.getAnnotationsByType(AdditionalPrinterColumn.class))
                  .map(AdditionalPrinterColumn::name)
                  .toList());
      if (!ordered.equals(yaml)) Files.writeString(file, ordered, StandardCharsets.UTF_8);
    }
  }

  /**
   * The YAML with the entries of its one additionalPrinterColumns list in the order of {@code
   * names}.
   */
  static String reorder(String yaml, List<String> names) {
    List<String> lines = new ArrayList<>(yaml.lines().toList());
    int start = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).trim().replaceFirst("^- ", "").equals("additionalPrinterColumns:")) {
        start = i + 1;
        break;
      }
    }
    if (start < 0)
      throw new IllegalStateException("no additionalPrinterColumns in the generated CRD");
    String itemIndent = lines.get(start).substring(0, lines.get(start).indexOf('-'));
    List<List<String>> entries = new ArrayList<>();
    int end = start;
    while (end < lines.size()) {
      String line = lines.get(end);
      if (line.startsWith(itemIndent + "- ")) entries.add(new ArrayList<>(List.of(line)));
      else if (line.startsWith(itemIndent + "  ")) entries.get(entries.size() - 1).add(line);
      else break;
      end++;
    }
    List<List<String>> sorted = new ArrayList<>(entries);
    sorted.sort(
        Comparator.comparingInt(
            e -> {
              int at = names.indexOf(nameOf(e, itemIndent));
              if (at < 0)
                throw new IllegalStateException(
                    "printer column " + nameOf(e, itemIndent) + " is not declared on the class");
              return at;
            }));
    // the first key of an entry follows its "- "; keep each entry's lines together, with "- " on
    // its first line
    List<String> out = new ArrayList<>(lines.subList(0, start));
    for (List<String> e : sorted) out.addAll(e);
    out.addAll(lines.subList(end, lines.size()));
    return String.join("\n", out) + (yaml.endsWith("\n") ? "\n" : "");
  }

  private static String nameOf(List<String> entry, String indent) {
    for (String line : entry) {
      String key = line.substring(indent.length() + 2);
      if (key.startsWith("name: ")) return key.substring("name: ".length()).replace("\"", "");
    }
    throw new IllegalStateException("a printer column without a name: " + entry);
  }
}
