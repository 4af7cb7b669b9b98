package io.coffer.cli;

import io.coffer.engine.BackupDescriptor;
import io.coffer.engine.BackupStore;
import io.coffer.engine.CofferException;
import io.coffer.engine.archive.HashingInputStream;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeException;
import io.coffer.engine.storage.FileStorage;
import io.coffer.engine.storage.Storage;
import io.coffer.protocol.ExitCode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "download",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Copy a backup's archive to a local file, checked against its SHA-256; with --decrypt, as a plain zip.",
      "The file appears only when the copy is complete and correct."
    })
final class DownloadCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(
      names = "--backup",
      required = true,
      paramLabel = "ID",
      description = "The backup to download.")
  String backup;

  @Option(
      names = "--to",
      required = true,
      paramLabel = "FILE",
      description = "Where to write the archive.")
  Path to;

  @Option(
      names = "--decrypt",
      description = "Write the decrypted zip instead of the stored (encrypted) archive.")
  boolean decrypt;

  @Mixin KeyOptions key;

  @Override
  public Integer call() throws Exception {
    Path target = to.toAbsolutePath().normalize();
    try (Storage storage = common.openStorage()) {
      BackupStore store = new BackupStore(storage);
      BackupDescriptor d = store.descriptor(backup);
      Age.DecryptionKeys keys = decrypt ? key.keys() : null;
      if (decrypt && d.encrypted() && keys == null) {
        throw new CofferException(
            ExitCode.KEY, "--decrypt needs --identity-file or --passphrase-file");
      }
      FileStorage local = new FileStorage(target.getParent());
      Storage.AtomicOutput out = local.create(target.getFileName().toString());
      try (HashingInputStream stored = store.openArchive(d)) {
        InputStream in = decrypt ? BackupStore.decrypting(stored, d, keys) : stored;
        in.transferTo(out);
        String sha = stored.drainAndHash();
        if (!sha.equals(d.sha256()) || stored.count() != d.storedSize()) {
          throw new CofferException(
              ExitCode.INTEGRITY,
              "backup " + d.id() + " does not match its checksum; nothing was written");
        }
        out.close();
      } catch (AgeException e) {
        out.abort();
        throw BackupStore.fromAge(d.id(), e);
      } catch (IOException | RuntimeException e) {
        out.abort();
        if (e instanceof CofferException) throw e;
        throw new CofferException(
            ExitCode.INTEGRITY,
            "backup " + d.id() + " cannot be read to the end (" + e.getMessage() + ")",
            e);
      }
      System.out.println(
          "Wrote "
              + target
              + (decrypt && d.encrypted()
                  ? " (decrypted zip)"
                  : d.encrypted()
                      ? " (age-encrypted zip; open with: age -d -i KEY " + target + " > backup.zip)"
                      : ""));
    }
    return ExitCode.OK.code();
  }
}
