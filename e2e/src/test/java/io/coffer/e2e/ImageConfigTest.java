package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.coffer.image.ImageConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The image the build wrote (image/target/coffer-image.tar, read back as the OCI archive it is),
 * the Dockerfile that builds the same image with Docker, the chart's default image and the release
 * workflow that publishes it: one entrypoint, user, environment and name. Reads files only; the
 * archive's layers are listed with {@code tar}.
 */
class ImageConfigTest {
  static final Path TOP = Path.of("..");
  static final String TAR =
      System.getProperty("coffer.image.tar", "../image/target/coffer-image.tar");
  static final ObjectMapper JSON = new ObjectMapper();
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static Path oci;
  static JsonNode index;
  static JsonNode manifest;
  static JsonNode config;

  @BeforeAll
  static void unpack() throws Exception {
    assertThat(Path.of(TAR)).as("the image archive: mvn -pl image -am package").exists();
    oci = Files.createTempDirectory("coffer-oci");
    run("tar", "-xf", TAR, "-C", oci.toString(), "index.json", "oci-layout");
    index = JSON.readTree(oci.resolve("index.json").toFile());
    manifest = blob(index.path("manifests").get(0).path("digest").asText());
    config = blob(manifest.path("config").path("digest").asText());
  }

  @org.junit.jupiter.api.AfterAll
  static void clean() throws Exception {
    run("rm", "-rf", oci.toString());
  }

  static JsonNode blob(String digest) throws Exception {
    String path = "blobs/" + digest.replace(':', '/');
    run("tar", "-xf", TAR, "-C", oci.toString(), path);
    return JSON.readTree(oci.resolve(path).toFile());
  }

  /**
   * Standard output of a command that must succeed (standard error, such as tar's notes on headers,
   * is left out).
   */
  static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    return out;
  }

  @Test
  void theArchiveIsAnOciImageOfTheChartsDefaultName_withTheConfigOfImageConfig() throws Exception {
    assertThat(
            JSON.readTree(oci.resolve("oci-layout").toFile()).path("imageLayoutVersion").asText())
        .isEqualTo("1.0.0");
    String name =
        index
            .path("manifests")
            .get(0)
            .path("annotations")
            .path("org.opencontainers.image.ref.name")
            .asText();
    JsonNode values = YAML.readTree(TOP.resolve("charts/coffer/values.yaml").toFile());
    JsonNode chart = YAML.readTree(TOP.resolve("charts/coffer/Chart.yaml").toFile());
    assertThat(name)
        .isEqualTo(
            values.path("image").path("repository").asText()
                + ":"
                + chart.path("appVersion").asText())
        .isEqualTo(System.getProperty("coffer.image"));
    assertThat(chart.path("version").asText())
        .as("the release tags chart and image with one version")
        .isEqualTo(chart.path("appVersion").asText());
    JsonNode c = config.path("config");
    assertThat(strings(c.path("Entrypoint"))).isEqualTo(ImageConfig.ENTRYPOINT);
    assertThat(strings(c.path("Cmd"))).isEqualTo(ImageConfig.CMD);
    assertThat(c.path("User").asText()).isEqualTo(ImageConfig.USER);
    assertThat(env(strings(c.path("Env")))).isEqualTo(ImageConfig.ENVIRONMENT);
    assertThat(JSON.convertValue(c.path("Labels"), Map.class)).isEqualTo(ImageConfig.LABELS);
    assertThat(config.path("os").asText()).isEqualTo("linux");
  }

  @Test
  void theDockerfileBuildsTheSameImage() throws Exception {
    Map<String, List<String>> last = new LinkedHashMap<>();
    Map<String, String> env = new LinkedHashMap<>();
    Map<String, String> labels = new LinkedHashMap<>();
    boolean finalStage = false;
    for (String line : instructions(Files.readString(TOP.resolve("Dockerfile")))) {
      String[] parts = line.split("\\s+", 2);
      String op = parts[0].toUpperCase();
      String arg = parts.length > 1 ? parts[1].trim() : "";
      if (op.equals("FROM")) {
        finalStage = true; // the last FROM wins: what comes after it is the image
        env.clear();
        labels.clear();
        last.clear();
        last.put("FROM", List.of(arg));
        continue;
      }
      if (!finalStage) continue;
      switch (op) {
        case "ENV" -> {
          for (String kv : arg.split("\\s+"))
            env.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        case "LABEL" -> {
          Matcher m = Pattern.compile("(\\S+)=\"([^\"]*)\"").matcher(arg);
          while (m.find()) labels.put(m.group(1), m.group(2));
        }
        case "ENTRYPOINT", "CMD" -> last.put(op, strings(JSON.readTree(arg)));
        case "USER" -> last.put(op, List.of(arg));
        default -> {}
      }
    }
    assertThat(last.get("FROM")).containsExactly("scratch");
    assertThat(last.get("ENTRYPOINT")).isEqualTo(ImageConfig.ENTRYPOINT);
    assertThat(last.get("CMD")).isEqualTo(ImageConfig.CMD);
    assertThat(last.get("USER")).containsExactly(ImageConfig.USER);
    assertThat(env).isEqualTo(ImageConfig.ENVIRONMENT);
    assertThat(labels).isEqualTo(ImageConfig.LABELS);
    assertThat(Files.readString(TOP.resolve("Dockerfile")))
        .contains("image/build-rootfs.sh")
        .contains("COPY --from=rootfs /out/rootfs/ /")
        .contains("FROM --platform=$BUILDPLATFORM");
  }

  @Test
  void theImageHoldsTheRuntimeTheJarAndTheNonRootUser_andNoShell_allOwnedByRoot() throws Exception {
    List<String> entries = new ArrayList<>();
    for (JsonNode layer : manifest.path("layers")) {
      String path = "blobs/" + layer.path("digest").asText().replace(':', '/');
      run("tar", "-xf", TAR, "-C", oci.toString(), path);
      entries.addAll(
          run("tar", "-tvzf", oci.resolve(path).toString(), "--numeric-owner").lines().toList());
    }
    List<String> paths =
        entries.stream()
            .map(
                l ->
                    l.substring(l.lastIndexOf(' ') + 1)
                        .replaceFirst("^\\./", "")
                        .replaceFirst("^/", ""))
            .toList();
    assertThat(
            run(
                "tar",
                "-xzOf",
                oci.resolve(
                        "blobs/"
                            + manifest
                                .path("layers")
                                .get(0)
                                .path("digest")
                                .asText()
                                .replace(':', '/'))
                    .toString(),
                "etc/passwd"))
        .contains("nonroot:x:65532:65532:");
    // modules loaded by name, which jdeps cannot see: TLS's elliptic curves, mongodb+srv:// lookups
    assertThat(
            run(
                "tar",
                "-xzOf",
                oci.resolve(
                        "blobs/"
                            + manifest
                                .path("layers")
                                .get(0)
                                .path("digest")
                                .asText()
                                .replace(':', '/'))
                    .toString(),
                "opt/java/release"))
        .contains("jdk.crypto.ec")
        .contains("jdk.naming.dns")
        .contains("java.base");
    assertThat(paths)
        .contains(
            "opt/java/bin/java",
            "opt/coffer/coffer.jar",
            "etc/passwd",
            "var/lib/dpkg/status.d/libc6",
            "usr/share/doc/libc6/copyright",
            "opt/java/lib/security/cacerts")
        .anyMatch(p -> p.matches("(lib64|lib)/ld-linux-.*\\.so\\.\\d"))
        .noneMatch(
            p ->
                p.equals("bin/sh")
                    || p.equals("usr/bin/sh")
                    || p.equals("bin/bash")
                    || p.startsWith("usr/bin/apt"));
    for (String e : entries) {
      String owner = e.split("\\s+")[1];
      if (!e.contains("home/nonroot")) assertThat(owner).as(e).isEqualTo("0/0");
    }
  }

  @Test
  void theReleaseWorkflowPublishesTheChartsDefaultImage_forBothArchitectures_withAnSbom()
      throws Exception {
    JsonNode wf = YAML.readTree(TOP.resolve(".github/workflows/release.yml").toFile());
    JsonNode values = YAML.readTree(TOP.resolve("charts/coffer/values.yaml").toFile());
    assertThat(wf.path("env").path("IMAGE").asText())
        .isEqualTo(values.path("image").path("repository").asText());
    JsonNode on =
        wf.has("on") ? wf.path("on") : wf.path("true"); // YAML 1.1 reads the key on as true
    assertThat(on.path("push").path("tags").get(0).asText()).isEqualTo("v*");
    JsonNode build = null;
    for (JsonNode step : wf.path("jobs").path("publish").path("steps")) {
      if (step.path("uses").asText().startsWith("docker/build-push-action"))
        build = step.path("with");
    }
    assertThat(build).as("a docker/build-push-action step").isNotNull();
    assertThat(build.path("platforms").asText()).contains("linux/amd64").contains("linux/arm64");
    assertThat(build.path("sbom").asBoolean()).isTrue();
    assertThat(build.path("push").asBoolean()).isTrue();
    assertThat(build.path("tags").asText())
        .contains("${{ env.IMAGE }}:${{ steps.version.outputs.version }}");
    String text = Files.readString(TOP.resolve(".github/workflows/release.yml"));
    assertThat(text)
        .contains("helm push")
        .contains("oci://ghcr.io/coffer-io/charts")
        .contains("bash .ci/run");
  }

  /**
   * Dockerfile instructions, continuation lines joined, comments and the parser directive dropped.
   */
  static List<String> instructions(String dockerfile) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String raw : dockerfile.split("\n")) {
      String line = raw.strip();
      if (line.startsWith("#") || (line.isEmpty() && cur.length() == 0)) continue;
      if (line.endsWith("\\")) {
        cur.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      cur.append(line);
      if (cur.length() > 0) out.add(cur.toString().strip());
      cur.setLength(0);
    }
    return out;
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  static Map<String, String> env(List<String> pairs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String p : pairs) out.put(p.substring(0, p.indexOf('=')), p.substring(p.indexOf('=') + 1));
    return out;
  }
}
