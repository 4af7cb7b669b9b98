package io.coffer.engine.storage;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Placeholders;
import io.coffer.protocol.Field;
import java.nio.file.Path;
import java.util.Map;

/**
 * Parses {@code --storage} ({@code s3://bucket/prefix} or {@code file:///absolute/path}) into a
 * {@link Storage}; anything else is a usage error.
 */
public final class StorageLocations {
  public static final String DEFAULT_S3_ENDPOINT = "https://s3.amazonaws.com";

  private StorageLocations() {}

  public static Storage open(
      String location, String s3Endpoint, String region, Map<String, String> env) {
    return open(location, s3Endpoint, region, null, env);
  }

  /**
   * {@code caFile}: PEM CA certificates for a TLS S3 endpoint (default: env COFFER_S3_CA_FILE, else
   * the JVM's trust).
   */
  public static Storage open(
      String location, String s3Endpoint, String region, Path caFile, Map<String, String> env) {
    if (location == null || location.isBlank()) {
      throw CofferException.usage(
          "no storage location: give "
              + Field.STORAGE.mark()
              + " s3://bucket/prefix or "
              + Field.STORAGE.mark()
              + " file:///path");
    }
    if (location.startsWith("s3://")) {
      String rest = location.substring(5);
      int slash = rest.indexOf('/');
      String bucket = slash < 0 ? rest : rest.substring(0, slash);
      String prefix = slash < 0 ? "" : rest.substring(slash + 1);
      if (bucket.length() < 3 || !bucket.matches("[a-z0-9][a-z0-9.-]*[a-z0-9]")) {
        throw CofferException.usage(
            "bad bucket name '"
                + bucket
                + "' in "
                + Field.STORAGE.mark()
                + ": 3-63 lower-case letters, digits, '.' or '-'");
      }
      String endpoint =
          s3Endpoint != null && !s3Endpoint.isBlank()
              ? s3Endpoint
              : env.getOrDefault("COFFER_S3_ENDPOINT", DEFAULT_S3_ENDPOINT);
      String reg = region != null ? region : env.get("AWS_REGION");
      String ak = env.get("AWS_ACCESS_KEY_ID");
      String sk = env.get("AWS_SECRET_ACCESS_KEY");
      if (ak == null || ak.isBlank() || sk == null || sk.isBlank()) {
        throw CofferException.usage(
            "S3 storage needs credentials: set " + Field.S3_CREDENTIALS.mark());
      }
      // the key's own name: the same in a person's environment and in a Backup's Secret
      Placeholders.refuse("AWS_ACCESS_KEY_ID", ak);
      Placeholders.refuse("AWS_SECRET_ACCESS_KEY", sk);
      Path ca =
          caFile != null
              ? caFile
              : env.get("COFFER_S3_CA_FILE") == null ? null : Path.of(env.get("COFFER_S3_CA_FILE"));
      return new S3Storage(endpoint, reg, ak, sk, bucket, prefix.replaceAll("/+$", ""), ca);
    }
    if (location.startsWith("file://")) {
      String path = location.substring("file://".length());
      if (!path.startsWith("/"))
        throw CofferException.usage(
            "a file storage URI needs an absolute path: file:///path/to/dir");
      return new FileStorage(Path.of(path));
    }
    if (location.contains("://")) {
      throw CofferException.usage(
          "unsupported storage '"
              + location.substring(0, location.indexOf("://") + 3)
              + "...': use s3://bucket/prefix or file:///path");
    }
    String hint =
        location.startsWith("s3:")
            ? "s3://" + location.substring(3).replaceFirst("^/+", "")
            : location.startsWith("file:")
                ? "file://" + Path.of(location.substring(5).replaceFirst("^/*", "/")).normalize()
                : "file://" + Path.of(location).toAbsolutePath().normalize();
    throw CofferException.usage(
        Field.STORAGE.mark()
            + " '"
            + location
            + "' is neither s3://bucket[/prefix] nor file:///absolute/path; did you mean "
            + hint
            + "?");
  }
}
