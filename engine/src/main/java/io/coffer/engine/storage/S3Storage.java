package io.coffer.engine.storage;

import io.coffer.engine.base.CofferException;
import io.coffer.engine.base.Json;
import io.coffer.engine.io.BlockingPipe;
import io.coffer.engine.io.Limited;
import io.coffer.protocol.ExitCode;
import io.coffer.protocol.Field;
import io.minio.GetObjectArgs;
import io.minio.GetObjectLockConfigurationArgs;
import io.minio.GetObjectRetentionArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioAsyncClient;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.SetObjectRetentionArgs;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.XmlParserException;
import io.minio.messages.Item;
import io.minio.messages.ObjectLockConfiguration;
import io.minio.messages.Retention;
import io.minio.messages.RetentionMode;
import io.minio.messages.Upload;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Backups in an S3-compatible bucket (AWS S3, MinIO, Ceph, ...). Archives of unknown length go up
 * as multipart uploads fed through a bounded pipe: memory is one part (16 MiB) plus the pipe,
 * whatever the size.
 */
public final class S3Storage implements Storage {
  /** Part size for uploads of unknown length; S3 allows 10,000 parts, so up to ~160 GiB. */
  static final long PART_SIZE = 16L * 1024 * 1024;

  private final MinioClient client;
  private final MinioAsyncClient asyncClient;
  private final String endpoint;
  private final String bucket;
  private final String prefix;

  public S3Storage(
      String endpoint,
      String region,
      String accessKey,
      String secretKey,
      String bucket,
      String prefix) {
    this(endpoint, region, accessKey, secretKey, bucket, prefix, null);
  }

  /**
   * {@code caFile}: PEM certificates to trust for a TLS endpoint with a private CA (null: the JVM's
   * trust store).
   */
  public S3Storage(
      String endpoint,
      String region,
      String accessKey,
      String secretKey,
      String bucket,
      String prefix,
      Path caFile) {
    this.endpoint = endpoint;
    this.bucket = bucket;
    this.prefix =
        prefix == null || prefix.isEmpty() ? "" : (prefix.endsWith("/") ? prefix : prefix + "/");
    try {
      MinioClient.Builder b =
          MinioClient.builder().endpoint(endpoint).credentials(accessKey, secretKey);
      MinioAsyncClient.Builder ab =
          MinioAsyncClient.builder().endpoint(endpoint).credentials(accessKey, secretKey);
      if (region != null && !region.isBlank()) {
        b.region(region);
        ab.region(region);
      }
      if (caFile != null) {
        okhttp3.OkHttpClient http = trusting(caFile);
        b.httpClient(http);
        ab.httpClient(http);
      }
      this.client = b.build();
      this.asyncClient = ab.build();
    } catch (IllegalArgumentException e) {
      throw new StorageException("bad S3 endpoint " + endpoint + ": " + e.getMessage(), e);
    }
  }

  /** An HTTP client that trusts exactly the certificates in a PEM file. */
  static okhttp3.OkHttpClient trusting(Path caFile) {
    try (var in = Files.newInputStream(caFile)) {
      var certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty())
        throw new StorageException("the S3 CA file " + caFile + " holds no PEM certificate", null);
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (var c : certs) ks.setCertificateEntry("ca-" + i++, c);
      var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      var tm = (X509TrustManager) tmf.getTrustManagers()[0];
      var ssl = SSLContext.getInstance("TLS");
      ssl.init(null, new TrustManager[] {tm}, null);
      return new okhttp3.OkHttpClient.Builder()
          .sslSocketFactory(ssl.getSocketFactory(), tm)
          .build();
    } catch (IOException | GeneralSecurityException e) {
      throw new StorageException(
          "cannot use the S3 CA file " + caFile + ": " + e.getMessage() + "; give PEM certificates",
          e);
    }
  }

  @Override
  public String describe() {
    return "s3://" + bucket + "/" + prefix + " at " + endpoint;
  }

  private String object(String key) {
    return prefix + key;
  }

  @Override
  public AtomicOutput create(String key) {
    BlockingPipe pipe = new BlockingPipe(4, 256 * 1024);
    Throwable[] failure = new Throwable[1];
    Thread uploader =
        new Thread(
            () -> {
              try (InputStream in = pipe.inputStream()) {
                client.putObject(
                    PutObjectArgs.builder().bucket(bucket).object(object(key)).stream(
                            in, -1, PART_SIZE)
                        .contentType("application/octet-stream")
                        .build());
              } catch (Throwable t) {
                failure[0] = t;
                pipe.failReader(t);
              }
            },
            "coffer-s3-upload");
    uploader.setDaemon(true);
    uploader.start();
    return new AtomicOutput() {
      private boolean done;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        try {
          pipe.write(b, off, len);
        } catch (IOException e) {
          throw translate("cannot upload " + key, failure[0] != null ? failure[0] : e);
        }
      }

      @Override
      public void close() throws IOException {
        if (done) return;
        done = true;
        try {
          pipe.finish();
        } catch (IOException e) {
          // the uploader failed; reported below
        }
        join(uploader);
        if (failure[0] != null) throw translate("cannot upload " + key, failure[0]);
      }

      @Override
      public void abort() {
        if (done) return;
        done = true;
        pipe.failWriter(new IOException("aborted"));
        try {
          join(uploader);
        } catch (IOException ignored) {
          // nothing was published
        }
      }
    };
  }

  private static void join(Thread t) throws IOException {
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the upload");
    }
  }

  @Override
  public Optional<String> presign(String key, Duration validFor) {
    return Optional.of(signed(io.minio.http.Method.GET, key, validFor, "a download"));
  }

  @Override
  public Optional<String> presignUpload(String key, Duration validFor) {
    return Optional.of(signed(io.minio.http.Method.PUT, key, validFor, "an upload"));
  }

  private String signed(io.minio.http.Method method, String key, Duration validFor, String what) {
    try {
      return client.getPresignedObjectUrl(
          io.minio.GetPresignedObjectUrlArgs.builder()
              .method(method)
              .bucket(bucket)
              .object(object(key))
              .expiry((int) Math.min(validFor.toSeconds(), 7 * 24 * 3600))
              .build());
    } catch (Exception e) {
      throw translate("cannot sign " + what + " URL for " + key, e);
    }
  }

  @Override
  public InputStream open(String key) {
    try {
      return Retry.idempotent(
          () ->
              client.getObject(GetObjectArgs.builder().bucket(bucket).object(object(key)).build()),
          S3Storage::transientError);
    } catch (Exception e) {
      throw translate("cannot read " + key, e);
    }
  }

  @Override
  public OptionalLong size(String key) {
    try {
      return OptionalLong.of(
          Retry.idempotent(
              () ->
                  client
                      .statObject(
                          StatObjectArgs.builder().bucket(bucket).object(object(key)).build())
                      .size(),
              S3Storage::transientError));
    } catch (Exception e) {
      StorageException se = translate("cannot read " + key, e);
      if (se.isNotFound() && !isBucketMissing(e)) return OptionalLong.empty();
      throw se;
    }
  }

  @Override
  public List<String> listFolders() {
    return retried("cannot list " + prefix, this::listFoldersOnce);
  }

  private List<String> listFoldersOnce() throws Exception {
    List<String> out = new ArrayList<>();
    for (Result<Item> r :
        client.listObjects(
            ListObjectsArgs.builder().bucket(bucket).prefix(prefix).delimiter("/").build())) {
      Item item = r.get();
      if (item.isDir()) {
        String name = item.objectName().substring(prefix.length());
        if (name.endsWith("/")) name = name.substring(0, name.length() - 1);
        if (!name.isEmpty()) out.add(name);
      }
    }
    return out;
  }

  @Override
  public List<String> list(String folder) {
    return retried("cannot list " + folder, () -> listOnce(folder));
  }

  private List<String> listOnce(String folder) throws Exception {
    String p = object(folder.endsWith("/") ? folder : folder + "/");
    List<String> out = new ArrayList<>();
    for (Result<Item> r :
        client.listObjects(
            ListObjectsArgs.builder().bucket(bucket).prefix(p).recursive(true).build())) {
      Item item = r.get();
      if (!item.isDir() && !item.objectName().endsWith("/" + LOCK))
        out.add(item.objectName().substring(prefix.length()));
    }
    return out;
  }

  /** A lock object not refreshed for this long belongs to a run that died. */
  static final long LOCK_STALE_MILLIS = 180_000;

  private static final long HEARTBEAT_MILLIS = 30_000;

  /** What a lock object holds: who, and when it last said it was alive. */
  record LockInfo(String owner, long seen, String token, RunIdentity run) {}

  /**
   * The lock is the object {@code <folder>/.coffer-lock}, created with {@code If-None-Match: *}
   * (S3's conditional write, so of two runs starting together one wins), refreshed every 30 s, and
   * taken over when not refreshed for three minutes (its run died). It is read back after writing,
   * so on a store that ignores the condition the last writer holds it and the other sees that it
   * does not.
   */
  @Override
  public Lock lock(String folder, String owner, String token, String[] holder) throws IOException {
    String key = folder + "/" + LOCK;
    long now = System.currentTimeMillis();
    if (!createIfAbsent(key, lockJson(owner, now, token))) {
      LockInfo held = readLock(key);
      // an earlier attempt of the same request, or a run of this machine that has ended: no need to
      // wait for staleness
      boolean ended =
          held != null
              && ((token != null && token.equals(held.token()))
                  || (held.run() != null && held.run().endedHere()));
      if (held != null && !ended && now - held.seen() < LOCK_STALE_MILLIS) {
        holder[0] =
            held.owner() + ", last seen " + Math.max(0, now - held.seen()) / 1000 + " s ago";
        return null;
      }
      delete(key); // its run stopped refreshing it or has ended
      if (!createIfAbsent(key, lockJson(owner, now, token))) {
        holder[0] = "another run, which took it just now";
        return null;
      }
    }
    LockInfo back = readLock(key);
    if (back == null || !owner.equals(back.owner())) {
      holder[0] = back == null ? "another run" : back.owner();
      return null;
    }
    ScheduledExecutorService beat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "coffer-s3-lock");
              t.setDaemon(true);
              return t;
            });
    beat.scheduleWithFixedDelay(
        () -> {
          try {
            LockInfo cur = readLock(key);
            if (cur != null && owner.equals(cur.owner()))
              put(key, lockJson(owner, System.currentTimeMillis(), token));
          } catch (IOException | RuntimeException e) {
            // the next beat tries again; three minutes of silence make the lock stale
          }
        },
        HEARTBEAT_MILLIS,
        HEARTBEAT_MILLIS,
        TimeUnit.MILLISECONDS);
    return new Lock() {
      @Override
      public void check() throws IOException {
        LockInfo cur = readLock(key);
        if (cur == null || !owner.equals(cur.owner())) {
          throw new CofferException(
              ExitCode.BUSY,
              "lost the lock of "
                  + folder
                  + " to "
                  + (cur == null ? "nobody (it was removed)" : cur.owner())
                  + " while writing; nothing more is published");
        }
      }

      @Override
      public void close() {
        beat.shutdownNow();
        try {
          LockInfo cur = readLock(key);
          if (cur != null && owner.equals(cur.owner())) delete(key);
        } catch (IOException | RuntimeException e) {
          // it goes stale in three minutes
        }
      }
    };
  }

  private static byte[] lockJson(String owner, long seen, String token) {
    return Json.write(new LockInfo(owner, seen, token, RunIdentity.current()))
        .getBytes(StandardCharsets.UTF_8);
  }

  private LockInfo readLock(String key) throws IOException {
    byte[] b;
    try (InputStream in = open(key)) {
      b =
          Limited.readAll(
              in,
              4096,
              () -> new StorageException("the lock " + key + " is larger than a lock", null));
    } catch (StorageException e) {
      if (e.isNotFound()) return null;
      throw e;
    }
    try {
      LockInfo l = Json.readUntrusted(b, LockInfo.class);
      return l == null || l.owner() == null ? new LockInfo("an unknown writer", 0, null, null) : l;
    } catch (IOException e) {
      return new LockInfo("an unknown writer", 0, null, null); // not ours, not readable: stale
    }
  }

  private void put(String key, byte[] content) throws IOException {
    try {
      Retry.idempotent(
          () ->
              client.putObject(
                  PutObjectArgs.builder().bucket(bucket).object(object(key)).stream(
                          new ByteArrayInputStream(content), content.length, -1)
                      .contentType("application/json")
                      .build()),
          S3Storage::transientError);
    } catch (Exception e) {
      throw translate("cannot write " + key, e);
    }
  }

  @Override
  public boolean createIfAbsent(String key, byte[] content) throws IOException {
    try {
      client.putObject(
          PutObjectArgs.builder()
              .bucket(bucket)
              .object(object(key))
              .headers(Map.of("If-None-Match", "*"))
              .stream(new ByteArrayInputStream(content), content.length, -1)
              .contentType("application/json")
              .build());
      return true;
    } catch (ErrorResponseException e) {
      String code = e.errorResponse().code();
      if ("PreconditionFailed".equals(code)
          || "ConditionalRequestConflict".equals(code)
          || e.response().code() == 412) return false;
      throw translate("cannot write " + key, e);
    } catch (Exception e) {
      throw translate("cannot write " + key, e);
    }
  }

  /** The Object Lock asked for on this location (null: none). */
  private ObjectLock objectLock;

  /** This location, with Object Lock for what backups write to it. */
  public S3Storage withObjectLock(ObjectLock lock) {
    this.objectLock = lock;
    return this;
  }

  @Override
  public ObjectLock objectLock() {
    return objectLock;
  }

  @Override
  public void retain(String key, String mode, Instant until) throws IOException {
    try {
      Retry.idempotent(
          () -> {
            client.setObjectRetention(
                SetObjectRetentionArgs.builder()
                    .bucket(bucket)
                    .object(object(key))
                    .config(
                        new Retention(RetentionMode.valueOf(mode), until.atZone(ZoneOffset.UTC)))
                    .build());
            return null;
          },
          S3Storage::transientError);
    } catch (Exception e) {
      throw translate(
          "cannot lock "
              + key
              + " (Object Lock "
              + mode
              + "; the bucket must be created with Object Lock enabled, and the credentials need"
              + " s3:PutObjectRetention)",
          e);
    }
  }

  @Override
  public void checkObjectLock() throws IOException {
    ObjectLockConfiguration config;
    try {
      config =
          client.getObjectLockConfiguration(
              GetObjectLockConfigurationArgs.builder().bucket(bucket).build());
    } catch (ErrorResponseException e) {
      config = null;
      String code = e.errorResponse().code();
      if (e.response().code() != 501
          && (code == null
              || !(code.contains("ObjectLockConfiguration") || code.equals("NotImplemented"))))
        throw translate("cannot read the Object Lock configuration of bucket " + bucket, e);
    } catch (XmlParserException e) {
      // a configuration minio-java cannot parse (versitygw's empty default rule): one is there
      return;
    } catch (Exception e) {
      throw translate("cannot read the Object Lock configuration of bucket " + bucket, e);
    }
    if (config == null)
      throw new StorageException(
          "bucket "
              + bucket
              + " at "
              + endpoint
              + " has no Object Lock, which "
              + Field.OBJECT_LOCK.mark()
              + " asks for: create the bucket with Object Lock enabled (it cannot be turned on"
              + " later on most servers), or leave "
              + Field.OBJECT_LOCK.mark()
              + " out. Nothing was written",
          null);
  }

  @Override
  public Optional<Instant> retainedUntil(String key) throws IOException {
    try {
      Retention r =
          client.getObjectRetention(
              GetObjectRetentionArgs.builder().bucket(bucket).object(object(key)).build());
      return r == null || r.retainUntilDate() == null
          ? Optional.empty()
          : Optional.of(r.retainUntilDate().toInstant());
    } catch (ErrorResponseException e) {
      // no Object Lock on this bucket or this server (S3Proxy answers NotImplemented): not retained
      String code = e.errorResponse().code();
      if (e.response().code() == 501
          || (code != null
              && (code.contains("ObjectLockConfiguration")
                  || code.equals("NotImplemented")
                  || code.equals("InvalidRequest")))) return Optional.empty();
      throw translate("cannot read the retention of " + key, e);
    } catch (Exception e) {
      throw translate("cannot read the retention of " + key, e);
    }
  }

  @Override
  public void delete(String key) {
    // not retried: a delete whose answer was lost, sent again, could remove what another run
    // wrote under the same key meanwhile (a lock taken over)
    try {
      client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(object(key)).build());
    } catch (Exception e) {
      throw translate("cannot delete " + key, e);
    }
  }

  @Override
  public int removeLeftovers(String folder) {
    String p = object(folder.endsWith("/") ? folder : folder + "/");
    int n = 0;
    try {
      var response =
          asyncClient
              .listMultipartUploadsAsync(bucket, null, null, null, null, 1000, p, null, null, null)
              .get();
      for (Upload u : response.result().uploads()) {
        asyncClient
            .abortMultipartUploadAsync(bucket, null, u.objectName(), u.uploadId(), null, null)
            .get();
        n++;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Some S3-compatible stores do not list multipart uploads; a bucket lifecycle rule
      // (AbortIncompleteMultipartUpload) is the backstop, as the README explains.
      return n;
    }
    return n;
  }

  private boolean isBucketMissing(Throwable e) {
    return e instanceof ErrorResponseException ere
        && "NoSuchBucket".equals(ere.errorResponse().code());
  }

  /**
   * Turns client exceptions into one line that names the cause and what to check; never includes
   * credentials.
   */
  /** A list, sent again on a transient error; a failure in the storage's words. */
  private <T> T retried(String what, Retry.Call<T> call) {
    try {
      return Retry.idempotent(call, S3Storage::transientError);
    } catch (Exception e) {
      throw translate(what, e);
    }
  }

  /**
   * Whether another try of the same request may succeed: the server said so (5xx, SlowDown,
   * RequestTimeout) or the connection broke; a refusal (4xx: credentials, a missing object or
   * bucket) never is.
   */
  static boolean transientError(Exception e) {
    Throwable t = e;
    while (t != null) {
      if (t instanceof StorageException) return false;
      if (t instanceof ErrorResponseException ere) {
        String code = ere.errorResponse().code();
        return ere.response().code() >= 500
            || "SlowDown".equals(code)
            || "RequestTimeout".equals(code)
            || "InternalError".equals(code)
            || "ServiceUnavailable".equals(code);
      }
      if (t instanceof UnknownHostException) return false;
      if (t instanceof IOException) return true;
      t = t.getCause() == t ? null : t.getCause();
    }
    return false;
  }

  StorageException translate(String what, Throwable e) {
    Throwable t = e;
    while ((t instanceof ExecutionException
            || (t instanceof IOException
                && !(t instanceof ConnectException)
                && !(t instanceof UnknownHostException)))
        && t.getCause() != null
        && t.getCause() != t) {
      t = t.getCause();
    }
    if (t instanceof StorageException se) return se;
    if (t instanceof ErrorResponseException ere) {
      String code = ere.errorResponse().code();
      switch (code) {
        case "NoSuchKey":
          return StorageException.notFound(
              what + ": no such object in s3://" + bucket + "/" + prefix);
        case "NoSuchBucket":
          return new StorageException(
              what
                  + ": bucket "
                  + bucket
                  + " does not exist at "
                  + endpoint
                  + "; create it or fix "
                  + Field.STORAGE.mark(),
              e);
        case "SignatureDoesNotMatch":
        case "InvalidAccessKeyId":
        case "AccessDenied":
          return new StorageException(
              what
                  + ": S3 refused the credentials ("
                  + code
                  + "); check "
                  + Field.S3_CREDENTIALS.mark(),
              e);
        default:
          return new StorageException(
              what + ": S3 error " + code + ": " + ere.errorResponse().message(), e);
      }
    }
    if (t instanceof ConnectException || t instanceof UnknownHostException) {
      return new StorageException(
          what
              + ": cannot reach S3 endpoint "
              + endpoint
              + " ("
              + t.getClass().getSimpleName()
              + "); check "
              + Field.S3_ENDPOINT.mark()
              + " and the network",
          e);
    }
    String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return new StorageException(what + " at " + endpoint + ": " + msg, e);
  }
}
