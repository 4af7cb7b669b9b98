package io.coffer.testing;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;

/**
 * Embedded MongoDB (mongo-java-server, real wire protocol) and S3 (S3Proxy, real S3 API) for tests.
 */
public final class EmbeddedServers {
  public static final String ACCESS_KEY = "coffer-test-access";
  public static final String SECRET_KEY = "coffer-test-secret-Sup3rS3cret";

  private EmbeddedServers() {}

  public static MongoServer mongo() {
    MongoServer server = new MongoServer(new MemoryBackend());
    server.bind("127.0.0.1", 0);
    return server;
  }

  public static String uri(MongoServer server) {
    var a = server.getLocalAddress();
    return "mongodb://" + a.getHostString() + ":" + a.getPort();
  }

  /** S3 in memory. */
  public static S3Proxy s3() throws Exception {
    return s3(null);
  }

  /**
   * S3 over a local folder ({@code <dir>/<bucket>/<key>}), or in memory when {@code dir} is null.
   */
  public static S3Proxy s3(Path dir) throws Exception {
    Properties props = new Properties();
    if (dir != null) props.setProperty("jclouds.filesystem.basedir", dir.toString());
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(BlobStores.create(dir == null ? "transient" : "filesystem", props))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .build();
    proxy.start();
    long deadline = System.currentTimeMillis() + 10_000;
    while (!"STARTED".equals(proxy.getState()) && System.currentTimeMillis() < deadline)
      Thread.sleep(20);
    return proxy;
  }

  /** A port nothing listens on now (for a server the test starts itself, never a fixed one). */
  public static int freePort() throws java.io.IOException {
    return LocalServer.freePort();
  }

  public static String endpoint(S3Proxy proxy) {
    return "http://127.0.0.1:" + proxy.getPort();
  }

  public static void makeBucket(S3Proxy proxy, String bucket) throws Exception {
    MinioClient c =
        MinioClient.builder().endpoint(endpoint(proxy)).credentials(ACCESS_KEY, SECRET_KEY).build();
    c.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
  }
}
