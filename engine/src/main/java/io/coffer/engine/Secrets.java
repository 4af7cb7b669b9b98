package io.coffer.engine;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Placeholders;
import io.coffer.engine.crypto.Age;
import io.coffer.engine.crypto.AgeKeys;
import io.coffer.engine.mongo.MongoTls;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import io.coffer.protocol.Request;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads keys, passphrases and URIs from the files a request names, else from the environment;
 * messages name the request field (a mark, see {@link Field}) and never include a value.
 */
public final class Secrets {
  private final Map<String, String> env;
  private final boolean mounted;

  /** For a person: files they name, else their environment. */
  public Secrets(Map<String, String> env) {
    this(env, false);
  }

  /**
   * {@code mounted}: the files are a pod's mounted Secrets (optional volumes), so a missing one is
   * a Secret not created yet, which the next attempt looks for again (exit 3, not the usage error a
   * mistyped path of a person's is).
   */
  public Secrets(Map<String, String> env, boolean mounted) {
    this.env = Map.copyOf(env);
    this.mounted = mounted;
  }

  String env(String name) {
    return env.get(name);
  }

  String readFile(Path file, Field field) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      if (mounted) throw missingMounted(file, field);
      throw CofferException.usage("cannot read " + field.mark() + " " + file + ": no such file");
    } catch (IOException e) {
      String why =
          e instanceof AccessDeniedException
              ? "permission denied (in a pod: is it readable by the pod's fsGroup?)"
              : e instanceof CharacterCodingException
                  ? "not UTF-8 text"
                  : e.getClass().getSimpleName();
      throw CofferException.usage("cannot read " + field.mark() + " " + file + ": " + why);
    }
  }

  /**
   * A pod's mounted file that is not there: its Secret or ConfigMap may yet be created (exit 3).
   */
  private static CofferException missingMounted(Path file, Field field) {
    return new CofferException(
        ExitCode.SOURCE,
        "cannot read "
            + field.mark()
            + " "
            + file
            + ": no such file (is the Secret or ConfigMap there, with this key? the next attempt looks again)");
  }

  private static Path path(String file) {
    return file == null ? null : Path.of(file);
  }

  /**
   * A passphrase from {@code file} ({@code field}), else env COFFER_PASSPHRASE; null when neither
   * is there.
   */
  char[] passphrase(String file, Field field) {
    String s = file != null ? readFile(path(file), field) : env("COFFER_PASSPHRASE");
    if (s == null) return null;
    String p =
        s.endsWith("\r\n")
            ? s.substring(0, s.length() - 2)
            : s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    Placeholders.refuse(file != null ? field.mark() : "COFFER_PASSPHRASE", p);
    if (p.isEmpty())
      throw CofferException.usage(
          "the passphrase is empty" + (file != null ? " in " + file : " in COFFER_PASSPHRASE"));
    return p.toCharArray();
  }

  /** The chain index key (file, else env COFFER_INDEX_KEY), or null; at least 16 characters. */
  char[] indexKey(String file) {
    String s = file != null ? readFile(path(file), Field.INDEX_KEY) : env("COFFER_INDEX_KEY");
    if (s == null) return null;
    String k = s.strip();
    Placeholders.refuse(file != null ? Field.INDEX_KEY.mark() : "COFFER_INDEX_KEY", k);
    if (k.length() < 16) {
      throw CofferException.usage(
          "the index key is too short ("
              + k.length()
              + " characters; use 16 or more, e.g. `openssl rand -base64 32`)");
    }
    return k.toCharArray();
  }

  List<AgeKeys.Identity> identities(String file) {
    try {
      if (file != null) {
        Placeholders.refuse(
            Field.IDENTITY.mark(), Files.readString(path(file), StandardCharsets.UTF_8));
        return AgeKeys.readIdentities(path(file));
      }
      String value = env("COFFER_AGE_IDENTITY");
      Placeholders.refuse("COFFER_AGE_IDENTITY", value);
      if (value == null || value.isBlank()) return List.of();
      List<AgeKeys.Identity> out = new ArrayList<>();
      for (String line : value.split("\\R")) {
        String l = line.strip();
        if (!l.isEmpty() && !l.startsWith("#")) out.add(AgeKeys.parseIdentity(l));
      }
      return out;
    } catch (IllegalArgumentException e) {
      throw new CofferException(ExitCode.KEY, e.getMessage());
    } catch (NoSuchFileException e) {
      if (mounted) throw missingMounted(path(file), Field.IDENTITY);
      throw new CofferException(
          ExitCode.KEY,
          "cannot read " + Field.IDENTITY.mark() + " " + file + " (NoSuchFileException)");
    } catch (IOException e) {
      throw new CofferException(
          ExitCode.KEY,
          "cannot read "
              + Field.IDENTITY.mark()
              + " "
              + file
              + " ("
              + e.getClass().getSimpleName()
              + ")");
    }
  }

  /** Identities and/or a passphrase, or null when neither was given. */
  public Age.DecryptionKeys decryptionKeys(String identityFile, String passphraseFile) {
    List<AgeKeys.Identity> ids = identities(identityFile);
    char[] pass = passphrase(passphraseFile, Field.DECRYPTION_PASSPHRASE);
    if (ids.isEmpty() && pass == null) return null;
    return new Age.DecryptionKeys(ids, pass);
  }

  List<AgeKeys.Recipient> recipients(List<String> given, String file) {
    List<AgeKeys.Recipient> out = new ArrayList<>();
    try {
      for (String r : given) out.add(AgeKeys.parseRecipient(r));
      if (file != null) {
        try {
          String content = readFile(path(file), Field.RECIPIENTS);
          Placeholders.refuseRecipients(Field.RECIPIENTS.mark(), content);
          out.addAll(AgeKeys.readRecipients(content));
        } catch (IllegalArgumentException e) {
          throw CofferException.usage(Field.RECIPIENTS.mark() + " " + file + ", " + e.getMessage());
        }
      }
      String value = env("COFFER_AGE_RECIPIENTS");
      if (given.isEmpty() && file == null && value != null && !value.isBlank()) {
        Placeholders.refuseRecipients("COFFER_AGE_RECIPIENTS", value);
        out.addAll(AgeKeys.readRecipients(value));
      }
    } catch (IllegalArgumentException e) {
      throw CofferException.usage(e.getMessage());
    }
    return out;
  }

  /**
   * A MongoDB URI: typed by a person ({@code given}, never part of a request), else from {@code
   * file}, else env COFFER_MONGODB_URI.
   */
  String mongoUri(String given, String file) {
    String uri =
        given != null
            ? given
            : file != null
                ? readFile(path(file), Field.MONGODB_URI).strip()
                : env("COFFER_MONGODB_URI");
    Placeholders.refuse(
        given != null
            ? "the MongoDB URI given on the command line"
            : file != null ? Field.MONGODB_URI.mark() : "COFFER_MONGODB_URI",
        uri);
    return uri;
  }

  /**
   * TLS to MongoDB from the request's PEM files; null when none is named (the URI's own {@code
   * tls=true} then uses the JVM's trust store).
   */
  MongoTls mongoTls(Request.MongoTls t) {
    if (t == null || (t.caFile() == null && t.certificateFile() == null && t.keyFile() == null))
      return null;
    return MongoTls.of(
        t.caFile() == null ? null : readFile(path(t.caFile()), Field.MONGODB_CA_FILE),
        t.certificateFile() == null
            ? null
            : readFile(path(t.certificateFile()), Field.MONGODB_CERT_FILE),
        t.keyFile() == null ? null : readFile(path(t.keyFile()), Field.MONGODB_KEY_FILE));
  }

  /** A secret value from {@code file}, else the environment variable {@code name}. */
  String fileOrEnv(String file, String name, Field field) {
    return file != null ? readFile(path(file), field).strip() : env(name);
  }
}
