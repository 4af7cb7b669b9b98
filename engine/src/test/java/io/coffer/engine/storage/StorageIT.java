package io.coffer.engine.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coffer.engine.base.CofferException;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import io.coffer.testing.ChaosProxy;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.TestStorage;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both storages: atomic publication, aborts that leave nothing, listing, deletion, clear errors.
 */
class StorageIT {
  static S3Proxy s3;
  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    s3 = EmbeddedServers.s3();
    EmbeddedServers.makeBucket(s3, "store");
  }

  @AfterAll
  static void stop() throws Exception {
    s3.stop();
  }

  List<Storage> storages(String prefix) {
    return List.of(new FileStorage(tmp.resolve(prefix)), TestStorage.s3(s3, "store", prefix));
  }

  /**
   * A connection that drops for a moment (simulated: the test kit's TCP proxy between minio-java
   * and S3Proxy cuts every connection and refuses new ones, then heals): reads, lists, small puts
   * and deletes are sent again (Retry), and a drop that lasts is reported as before, after the same
   * few attempts.
   */
  @Test
  void givenAConnectionThatDropsForAMoment_thenIdempotentRequestsAreSentAgain() throws Exception {
    try (ChaosProxy proxy = new ChaosProxy(URI.create(EmbeddedServers.endpoint(s3)).getPort())) {
      S3Storage s =
          new S3Storage(
              "http://127.0.0.1:" + proxy.port(),
              null,
              EmbeddedServers.ACCESS_KEY,
              EmbeddedServers.SECRET_KEY,
              "store",
              "flaky");
      Storage.AtomicOutput out = s.create("b1/backup.json");
      out.write("{}".getBytes());
      out.close();
      proxy.cutAfter(0); // the next byte cuts every connection and the proxy refuses new ones
      Thread healer =
          new Thread(
              () -> {
                try {
                  Thread.sleep(150);
                } catch (InterruptedException e) {
                  return;
                }
                proxy.heal();
              });
      healer.start();
      assertThat(s.list("b1")).containsExactly("b1/backup.json");
      healer.join();
      proxy.cutAfter(0);
      long started = System.nanoTime();
      assertThatThrownBy(() -> s.list("b1")).isInstanceOf(StorageException.class);
      // three attempts: 250 ms and 500 ms of waiting between them
      assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(700_000_000L);
      proxy.heal();
      s.delete("b1/backup.json");
      assertThat(s.list("b1")).isEmpty();
    }
  }

  @Test
  void givenALargeObject_whenWrittenInPieces_thenItReadsBackWhole_andListsUnderItsFolder()
      throws Exception {
    byte[] data = new byte[40 * 1024 * 1024 + 12345]; // more than two S3 parts
    new Random(5).nextBytes(data);
    for (Storage s : storages("big")) {
      Storage.AtomicOutput out = s.create("b1/archive.zip");
      for (int off = 0; off < data.length; off += 100_000)
        out.write(data, off, Math.min(100_000, data.length - off));
      out.close();
      try (InputStream in = s.open("b1/archive.zip")) {
        assertThat(in.readAllBytes()).as(s.describe()).isEqualTo(data);
      }
      assertThat(s.size("b1/archive.zip")).hasValue(data.length);
      assertThat(s.listFolders()).as(s.describe()).containsExactly("b1");
      assertThat(s.list("b1")).containsExactly("b1/archive.zip");
      s.delete("b1/archive.zip");
      assertThat(s.exists("b1/archive.zip")).isFalse();
    }
  }

  @Test
  void givenAnAbortedWrite_thenNothingIsVisible_evenAfterManyBytes() throws Exception {
    byte[] chunk = new byte[1 << 20];
    for (Storage s : storages("abort")) {
      Storage.AtomicOutput out = s.create("b2/archive.zip");
      for (int i = 0; i < 20; i++) out.write(chunk);
      out.abort();
      assertThat(s.exists("b2/archive.zip")).as(s.describe()).isFalse();
      assertThat(s.list("b2")).as(s.describe()).isEmpty();
      s.removeLeftovers("b2");
    }
  }

  @Test
  void givenAPartialFileFromACrash_thenItIsIgnoredAndRemovedAsALeftover() throws Exception {
    FileStorage fs = new FileStorage(tmp.resolve("crash"));
    Files.createDirectories(tmp.resolve("crash/b3"));
    Files.writeString(
        tmp.resolve("crash/b3/" + FileStorage.PARTIAL_PREFIX + "archive.zip-123"), "half");
    assertThat(fs.list("b3")).isEmpty();
    assertThat(fs.removeLeftovers("b3")).isEqualTo(1);
    assertThat(tmp.resolve("crash/b3/" + FileStorage.PARTIAL_PREFIX + "archive.zip-123"))
        .doesNotExist();
  }

  @Test
  void givenAnHttpsEndpointWithAPrivateCa_thenItIsRefusedWithoutTheCaFile_andWorksWithIt()
      throws Exception {
    // a self-signed certificate for 127.0.0.1, made with the JDK's keytool
    Path ks = tmp.resolve("s3.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process gen =
        new ProcessBuilder(
                keytool,
                "-genkeypair",
                "-alias",
                "s3",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                ks.toString(),
                "-storepass",
                "changeit",
                "-keypass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    assertThat(gen.waitFor()).isZero();
    Path ca = tmp.resolve("ca.pem");
    Process exp =
        new ProcessBuilder(
                keytool,
                "-exportcert",
                "-rfc",
                "-alias",
                "s3",
                "-keystore",
                ks.toString(),
                "-storepass",
                "changeit",
                "-file",
                ca.toString())
            .redirectErrorStream(true)
            .start();
    assertThat(exp.waitFor()).isZero();
    S3Proxy tls =
        S3Proxy.builder()
            .blobStore(org.gaul.s3proxy.BlobStores.create("transient", new Properties()))
            .awsAuthentication(
                org.gaul.s3proxy.auth.AuthenticationType.AWS_V2_OR_V4,
                EmbeddedServers.ACCESS_KEY,
                EmbeddedServers.SECRET_KEY)
            .secureEndpoint(URI.create("https://127.0.0.1:0"))
            .keyStore(ks.toString(), "changeit")
            .build();
    tls.start();
    try {
      long deadline = System.currentTimeMillis() + 10_000;
      while (!"STARTED".equals(tls.getState()) && System.currentTimeMillis() < deadline)
        Thread.sleep(20);
      String endpoint = "https://127.0.0.1:" + tls.getSecurePort();
      S3Storage untrusted =
          new S3Storage(
              endpoint,
              null,
              EmbeddedServers.ACCESS_KEY,
              EmbeddedServers.SECRET_KEY,
              "secure",
              "p");
      assertThatThrownBy(untrusted::listFolders).isInstanceOf(StorageException.class);
      S3Storage trusted =
          new S3Storage(
              endpoint,
              null,
              EmbeddedServers.ACCESS_KEY,
              EmbeddedServers.SECRET_KEY,
              "secure",
              "p",
              ca);
      io.minio.MinioClient.builder()
          .endpoint(endpoint)
          .credentials(EmbeddedServers.ACCESS_KEY, EmbeddedServers.SECRET_KEY)
          .httpClient(S3Storage.trusting(ca))
          .build()
          .makeBucket(io.minio.MakeBucketArgs.builder().bucket("secure").build());
      Storage.AtomicOutput out = trusted.create("b1/backup.json");
      out.write("{}".getBytes(StandardCharsets.UTF_8));
      out.close();
      assertThat(trusted.listFolders()).containsExactly("b1");
      Files.writeString(tmp.resolve("bad.pem"), "not a certificate");
      assertThatThrownBy(
              () -> new S3Storage(endpoint, null, "a", "b", "secure", "", tmp.resolve("bad.pem")))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("give PEM certificates");
    } finally {
      tls.stop();
    }
  }

  @Test
  void givenMissingThings_thenErrorsSayWhatIsWrong() throws Exception {
    S3Storage noBucket = TestStorage.s3(s3, "no-such-bucket", "");
    assertThatThrownBy(noBucket::listFolders)
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("bucket no-such-bucket does not exist");
    S3Storage s = TestStorage.s3(s3, "store", "p");
    assertThatThrownBy(() -> s.open("nope/backup.json"))
        .isInstanceOf(StorageException.class)
        .satisfies(e -> assertThat(((StorageException) e).isNotFound()).isTrue());
    S3Storage bad =
        new S3Storage(
            EmbeddedServers.endpoint(s3),
            null,
            EmbeddedServers.ACCESS_KEY,
            "not-the-secret",
            "store",
            "");
    assertThatThrownBy(bad::listFolders)
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("refused the credentials")
        .hasMessageNotContaining("not-the-secret");
    S3Storage down = new S3Storage("http://127.0.0.1:1", null, "a", "b", "store", "");
    assertThatThrownBy(() -> down.size("x"))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("cannot reach S3 endpoint");
    assertThatThrownBy(() -> new FileStorage(tmp).open("../etc/passwd"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StorageLocations.open("ftp://x/y", null, null, Map.of()))
        .isInstanceOf(CofferException.class)
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.USAGE));
    assertThatThrownBy(() -> StorageLocations.open("s3://bucket/p", null, null, Map.of()))
        .hasMessageContaining(Field.S3_CREDENTIALS.mark());
    assertThat(
            new String(
                new FileStorage(tmp).describe().getBytes(StandardCharsets.UTF_8),
                StandardCharsets.UTF_8))
        .startsWith("file://");
  }

  @Test
  void givenARunHoldingABackupsLock_thenASecondRunIsRefused_untilTheFirstLetsGo() throws Exception {
    for (Storage s : storages("locks")) {
      String[] holder = new String[1];
      Storage.Lock a = s.lock("b1", "run a", null, holder);
      assertThat(a).as(s.describe()).isNotNull();
      assertThat(s.lock("b1", "run b", null, holder)).as(s.describe()).isNull();
      assertThat(holder[0]).as(s.describe()).contains("run a");
      a.check();
      assertThat(s.list("b1")).as("the lock is no object of the backup").isEmpty();
      a.close();
      Storage.Lock c = s.lock("b1", "run c", null, holder);
      assertThat(c).as(s.describe()).isNotNull();
      c.close();
      assertThat(s.createIfAbsent("b1/backup.json", "first".getBytes(StandardCharsets.UTF_8)))
          .as(s.describe())
          .isTrue();
      assertThat(s.createIfAbsent("b1/backup.json", "second".getBytes(StandardCharsets.UTF_8)))
          .as(s.describe())
          .isFalse();
      try (InputStream in = s.open("b1/backup.json")) {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("first");
      }
    }
  }

  @Test
  void
      givenAnS3LockLeftByAKilledAttempt_whenTheNextAttemptOfTheSameRequestComes_thenItTakesTheLockOverAtOnce()
          throws Exception {
    Storage s = TestStorage.s3(s3, "store", "takeover");
    String[] holder = new String[1];
    Storage.Lock killed =
        s.lock("b1", "attempt 1", "backup-uid-1", holder); // never closed: its pod was killed
    assertThat(s.lock("b1", "someone else", "backup-uid-2", holder)).isNull();
    Storage.Lock next = s.lock("b1", "attempt 2", "backup-uid-1", holder);
    assertThat(next).isNotNull();
    assertThatThrownBy(killed::check)
        .isInstanceOf(CofferException.class)
        .hasMessageContaining("lost the lock")
        .satisfies(e -> assertThat(((CofferException) e).code()).isEqualTo(ExitCode.BUSY));
    next.check();
    next.close();
  }
}
