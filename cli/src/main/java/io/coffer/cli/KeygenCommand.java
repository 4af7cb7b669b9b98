package io.coffer.cli;

import io.coffer.engine.Engine;
import io.coffer.engine.base.CofferException;
import io.coffer.protocol.ExitCode;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    description = {
      "Create an age X25519 key pair, in the same format as age-keygen.",
      "The identity (private key) goes to the file, readable only by you; the recipient (public key) is printed."
    })
final class KeygenCommand implements Callable<Integer> {
  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "FILE",
      description = "Where to write the identity; must not exist.")
  Path output;

  @Override
  public Integer call() throws Exception {
    Engine.KeyPair pair = Engine.newKeyPair();
    try {
      Files.createFile(
          output,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException e) {
      throw CofferException.usage(
          output + " already exists; choose another file (keys are never overwritten)");
    }
    Files.writeString(
        output,
        pair.identityFile(),
        StandardCharsets.US_ASCII,
        StandardOpenOption.TRUNCATE_EXISTING);
    System.err.println("Public key: " + pair.recipient());
    System.out.println(pair.recipient());
    return ExitCode.OK.code();
  }
}
