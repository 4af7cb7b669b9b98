package io.coffer.testing;

import io.coffer.engine.storage.S3Storage;
import org.gaul.s3proxy.S3Proxy;

/** The engine's S3 storage on an embedded S3Proxy, for tests that look at what was stored. */
public final class TestStorage {
  private TestStorage() {}

  public static S3Storage s3(S3Proxy proxy, String bucket, String prefix) {
    return new S3Storage(
        EmbeddedServers.endpoint(proxy),
        null,
        EmbeddedServers.ACCESS_KEY,
        EmbeddedServers.SECRET_KEY,
        bucket,
        prefix);
  }
}
