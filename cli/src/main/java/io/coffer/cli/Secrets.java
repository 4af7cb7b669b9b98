package io.coffer.cli;

import io.coffer.engine.CofferException;
import io.coffer.engine.Placeholders;
import io.coffer.protocol.ExitCode;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads keys, passphrases and URIs from files or the environment; messages never include their values. */
final class Secrets {
  private Secrets() {}

  static String readFile(Path file, String what) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied (in a pod: is it readable by the pod's fsGroup?)"
          : e instanceof java.nio.file.NoSuchFileException ? "no such file"
          : e instanceof java.nio.charset.CharacterCodingException ? "not UTF-8 text" : e.getClass().getSimpleName();
      throw CofferException.usage("cannot read " + what + " " + file + ": " + why);
    }
  }

  static char[] passphrase(Path file) {
    String s = file != null ? readFile(file, "--passphrase-file") : System.getenv("COFFER_PASSPHRASE");
    if (s == null) return null;
    String p = s.endsWith("\r\n") ? s.substring(0, s.length() - 2) : s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    Placeholders.refuse(file != null ? "--passphrase-file" : "COFFER_PASSPHRASE", p);
    if (p.isEmpty()) throw CofferException.usage("the passphrase is empty" + (file != null ? " in " + file : " in COFFER_PASSPHRASE"));
    return p.toCharArray();
  }

  /** The chain index key (file, else env COFFER_INDEX_KEY), or null; at least 16 characters. */
  static char[] indexKey(Path file) {
    String s = file != null ? readFile(file, "--index-key-file") : System.getenv("COFFER_INDEX_KEY");
    if (s == null) return null;
    String k = s.strip();
    Placeholders.refuse(file != null ? "--index-key-file" : "COFFER_INDEX_KEY", k);
    if (k.length() < 16) {
      throw CofferException.usage("the index key is too short (" + k.length() + " characters; use 16 or more, e.g. `openssl rand -base64 32`)");
    }
    return k.toCharArray();
  }

  static List<AgeKeys.Identity> identities(Path file) {
    try {
      if (file != null) {
        Placeholders.refuse("--identity-file", Files.readString(file, StandardCharsets.UTF_8));
        return AgeKeys.readIdentities(file);
      }
      String env = System.getenv("COFFER_AGE_IDENTITY");
      Placeholders.refuse("COFFER_AGE_IDENTITY", env);
      if (env == null || env.isBlank()) return List.of();
      Path tmp = null;
      List<AgeKeys.Identity> out = new ArrayList<>();
      for (String line : env.split("\\R")) {
        String l = line.strip();
        if (!l.isEmpty() && !l.startsWith("#")) out.add(AgeKeys.parseIdentity(l));
      }
      return out;
    } catch (IllegalArgumentException e) {
      throw new CofferException(ExitCode.KEY, e.getMessage());
    } catch (IOException e) {
      throw new CofferException(ExitCode.KEY, "cannot read --identity-file " + file + " (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** Identities and/or a passphrase, or null when neither was given. */
  static Age.DecryptionKeys decryptionKeys(Path identityFile, Path passphraseFile) {
    List<AgeKeys.Identity> ids = identities(identityFile);
    char[] pass = passphrase(passphraseFile);
    if (ids.isEmpty() && pass == null) return null;
    return new Age.DecryptionKeys(ids, pass);
  }

  static List<AgeKeys.Recipient> recipients(List<String> given, Path file) {
    List<AgeKeys.Recipient> out = new ArrayList<>();
    try {
      for (String r : given) out.add(AgeKeys.parseRecipient(r));
      if (file != null) {
        try {
          String content = readFile(file, "--recipients-file");
          Placeholders.refuseRecipients("--recipients-file", content);
          out.addAll(AgeKeys.readRecipients(content));
        } catch (IllegalArgumentException e) {
          throw CofferException.usage("--recipients-file " + file + ", " + e.getMessage());
        }
      }
      String env = System.getenv("COFFER_AGE_RECIPIENTS");
      if (given.isEmpty() && file == null && env != null && !env.isBlank()) {
        Placeholders.refuseRecipients("COFFER_AGE_RECIPIENTS", env);
        out.addAll(AgeKeys.readRecipients(env));
      }
    } catch (IllegalArgumentException e) {
      throw CofferException.usage(e.getMessage());
    }
    return out;
  }

  static String mongoUri(String given, Path file) {
    String uri = given != null ? given : file != null ? readFile(file, "--mongodb-uri-file").strip() : System.getenv("COFFER_MONGODB_URI");
    Placeholders.refuse(given != null ? "--mongodb-uri" : file != null ? "--mongodb-uri-file" : "COFFER_MONGODB_URI", uri);
    return uri;
  }
}
