package io.coffer.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --archive FILE}: the commands that read one backup can read it from an archive file alone.
 */
final class ArchiveOption {
  @Option(
      names = "--archive",
      paramLabel = "FILE",
      description =
          "An archive file on its own (as `coffer download` writes it), instead of --storage and --backup; with"
              + " --storage (and no --backup), the path of such a file inside that storage, e.g. offline/rayerp.zip.age.")
  Path file;
}
