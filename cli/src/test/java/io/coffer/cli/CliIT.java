package io.coffer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import io.coffer.engine.base.Json;
import io.coffer.engine.storage.StorageLocations;
import io.coffer.testing.Cli;
import io.coffer.testing.EmbeddedServers;
import io.coffer.testing.MongodumpFixtures;
import io.coffer.testing.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bson.Document;
import org.gaul.s3proxy.S3Proxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as a separate process, against embedded MongoDB and S3: the paths a Job pod
 * takes, exit codes, one-line errors, result files, progress lines, and no secret in any output.
 */
class CliIT {
  static MongoServer mongo;
  static S3Proxy s3;
  static MongoClient client;
  static final String PASSWORD = "Mongo-Pa55word-XYZ";
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    mongo = EmbeddedServers.mongo();
    client = MongoClients.create(EmbeddedServers.uri(mongo));
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 5000; i++)
      docs.add(new Document("_id", i).append("name", "Employee " + i).append("salary", 1000 + i));
    client.getDatabase("erp").getCollection("employees").insertMany(docs);
    client
        .getDatabase("erp")
        .getCollection("invoices")
        .insertOne(new Document("_id", 1).append("total", 5));
    s3 = EmbeddedServers.s3();
    EmbeddedServers.makeBucket(s3, "backups");
    Files.writeString(
        dir.resolve("modules.yaml"),
        "modules:\n  hr: [erp.employees]\n  finance: [erp.invoices]\n");
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    mongo.shutdownNow();
    s3.stop();
  }

  /**
   * A URI with a password: mongo-java-server knows no users, so it refuses it; the password must
   * not leak.
   */
  static String secretUri() {
    var a = mongo.getLocalAddress();
    return "mongodb://backup:" + PASSWORD + "@127.0.0.1:" + a.getPort() + "/?authSource=admin";
  }

  static Map<String, String> s3Env() {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_ACCESS_KEY_ID", EmbeddedServers.ACCESS_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", EmbeddedServers.SECRET_KEY);
    env.put("COFFER_S3_ENDPOINT", EmbeddedServers.endpoint(s3));
    env.put("COFFER_MONGODB_URI", EmbeddedServers.uri(mongo));
    return env;
  }

  static void assertNoSecret(Cli.Result r) {
    assertThat(r.out() + r.err())
        .doesNotContain(PASSWORD)
        .doesNotContain(EmbeddedServers.SECRET_KEY)
        .doesNotContain("AGE-SECRET-KEY");
  }

  /**
   * What a Job pod runs: a request document (as the operator writes it) with its secrets as files,
   * through the real CLI process. A failure's result file names the request field with its mark
   * (the operator's words go there), its log line the field's path; a person's flags name the flag
   * for the same failure.
   */
  @Test
  void givenARequestDocument_whenRun_thenItBacksUpAndRestores_andAFailureNamesTheRequestField()
      throws Exception {
    Path secrets = Files.createDirectories(dir.resolve("run-secrets"));
    Files.writeString(secrets.resolve("uri"), EmbeddedServers.uri(mongo) + "\n");
    Files.writeString(secrets.resolve("ak"), EmbeddedServers.ACCESS_KEY);
    Files.writeString(secrets.resolve("sk"), EmbeddedServers.SECRET_KEY);
    Map<String, String> noEnv =
        Map.of(); // a Job's engine has no secret in its environment: only files
    String storage =
        "{\"uri\": \"s3://backups/run\", \"s3\": {\"endpoint\": \""
            + EmbeddedServers.endpoint(s3)
            + "\", \"accessKeyIdFile\": \""
            + secrets.resolve("ak")
            + "\", \"secretAccessKeyFile\": \""
            + secrets.resolve("sk")
            + "\"}}";
    Files.writeString(
        dir.resolve("backup-request.json"),
        "{\"kind\": \"backup\", \"id\": \"run-1\", \"type\": \"database\", \"storage\": "
            + storage
            + ", \"mongodb\": {\"uriFile\": \""
            + secrets.resolve("uri")
            + "\", \"include\": [\"erp.invoices\"]},"
            + " \"report\": {\"progress\": \"json\", \"resultFile\": \""
            + dir.resolve("run-result.json")
            + "\"}}");
    Cli.Result b = Cli.run(dir, noEnv, "run", "--request", "backup-request.json");
    assertThat(b.exit()).as(b.err()).isZero();
    assertNoSecret(b);
    JsonNode result = Json.MAPPER.readTree(dir.resolve("run-result.json").toFile());
    assertThat(result.get("status").asText()).isEqualTo("Succeeded");
    assertThat(result.get("id").asText()).isEqualTo("run-1");
    assertThat(result.get("documents").asLong()).isEqualTo(1);

    Files.writeString(
        dir.resolve("restore-request.json"),
        "{\"kind\": \"restore\", \"source\": {\"backupId\": \"run-1\"}, \"storage\": "
            + storage
            + ", \"mongodb\": {\"uriFile\": \""
            + secrets.resolve("uri")
            + "\", \"renameDatabases\": {\"erp\": \"erp_run\"}},"
            + " \"mode\": \"replace\", \"report\": {\"resultFile\": \""
            + dir.resolve("run-restore.json")
            + "\"}}");
    Cli.Result r = Cli.run(dir, noEnv, "run", "--request", "restore-request.json");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(client.getDatabase("erp_run").getCollection("invoices").countDocuments())
        .isEqualTo(1);

    // a failure: the module map is missing; the result keeps the mark, the log names the request
    // path, the flags the flag
    Files.writeString(
        dir.resolve("bad-request.json"),
        "{\"kind\": \"backup\", \"storage\": "
            + storage
            + ", \"mongodb\": {\"uriFile\": \""
            + secrets.resolve("uri")
            + "\", \"modules\": [\"hr\"]}, \"report\": {\"resultFile\": \""
            + dir.resolve("bad-result.json")
            + "\"}}");
    Cli.Result bad = Cli.run(dir, noEnv, "run", "--request", "bad-request.json");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err())
        .contains(
            "coffer: error: mongodb.modules needs a module map: give mongodb.moduleMapFile FILE");
    JsonNode failure = Json.MAPPER.readTree(dir.resolve("bad-result.json").toFile());
    assertThat(failure.get("status").asText()).isEqualTo("Failed");
    assertThat(failure.get("message").asText())
        .startsWith(
            "\u27e6mongodb.modules\u27e7 needs a module map: give \u27e6mongodb.moduleMapFile\u27e7");
    Cli.Result flags =
        Cli.run(dir, s3Env(), "backup", "--storage", "s3://backups/run", "--modules", "hr");
    assertThat(flags.exit()).isEqualTo(2);
    assertThat(flags.err())
        .contains("coffer: error: --modules needs a module map: give --module-map FILE");

    // a document that is no request: one line, exit 2
    Files.writeString(dir.resolve("junk.json"), "{\"kind\": \"format-disk\"}");
    Cli.Result junk = Cli.run(dir, noEnv, "run", "--request", "junk.json");
    assertThat(junk.exit()).isEqualTo(2);
    assertThat(junk.err().strip())
        .startsWith("coffer: error: the request junk.json is not a request document")
        .doesNotContain("\n");
    // a field the engine does not know is refused, never ignored: a typo must not drop encryption
    Files.writeString(
        dir.resolve("typo.json"),
        "{\"kind\": \"backup\", \"storage\": "
            + storage
            + ", \"encrypton\": {\"recipientsFile\": \"keys\"}}");
    Cli.Result typo = Cli.run(dir, noEnv, "run", "--request", "typo.json");
    assertThat(typo.exit()).isEqualTo(2);
    assertThat(typo.err()).contains("not a request document").contains("encrypton");
    assertThat(client.getDatabase("erp").listCollectionNames()).doesNotContain("typo");
  }

  @Test
  void givenS3AndARecipient_whenBackupVerifyInspectRestoreRun_thenEachSucceedsAndPrintsNoSecret()
      throws Exception {
    Cli.Result key = Cli.run(dir, Map.of(), "keygen", "-o", dir.resolve("key.txt").toString());
    assertThat(key.exit()).as(key.err()).isZero();
    String recipient = key.out().strip();
    Map<String, String> env = s3Env();
    Cli.Result b =
        Cli.run(
            dir,
            env,
            "backup",
            "--storage",
            "s3://backups/rayerp",
            "--id",
            "nightly-1",
            "--modules",
            "hr,finance",
            "--module-map",
            "modules.yaml",
            "--recipient",
            recipient,
            "--output",
            "json",
            "--progress",
            "json",
            "--result-file",
            "result.json");
    assertThat(b.exit()).as(b.err()).isZero();
    assertNoSecret(b);
    JsonNode result = Json.MAPPER.readTree(dir.resolve("result.json").toFile());
    assertThat(result.get("status").asText()).isEqualTo("Succeeded");
    assertThat(result.get("documents").asLong()).isEqualTo(5001);
    assertThat(result.get("modules").get("hr").asLong()).isEqualTo(5000);
    assertThat(result.get("encrypted").asBoolean()).isTrue();
    assertThat(Files.size(dir.resolve("result.json"))).isLessThan(4096);
    List<String> progressLines = b.err().lines().filter(l -> l.startsWith("{")).toList();
    assertThat(progressLines).isNotEmpty();
    JsonNode last = Json.MAPPER.readTree(progressLines.get(progressLines.size() - 1));
    assertThat(last.get("phase").asText()).isEqualTo("done");
    assertThat(last.get("percent").asDouble()).isEqualTo(100.0);
    assertThat(last.get("documents").asLong()).isEqualTo(5001);

    Cli.Result list = Cli.run(dir, env, "list", "--storage", "s3://backups/rayerp");
    assertThat(list.out()).contains("nightly-1").contains("yes");
    assertThat(list.out()).contains("MOMENT").contains("per-collection"); // no oplog on this server
    Cli.Result v =
        Cli.run(dir, env, "verify", "--storage", "s3://backups/rayerp", "--backup", "nightly-1");
    assertThat(v.exit()).as(v.err()).isZero();
    Cli.Result deep =
        Cli.run(
            dir,
            env,
            "verify",
            "--storage",
            "s3://backups/rayerp",
            "--backup",
            "nightly-1",
            "--deep",
            "--identity-file",
            "key.txt");
    assertThat(deep.exit()).as(deep.err()).isZero();
    assertThat(deep.out()).contains("5001 documents verified");
    Cli.Result inspect =
        Cli.run(
            dir,
            env,
            "inspect",
            "--storage",
            "s3://backups/rayerp",
            "--backup",
            "nightly-1",
            "--identity-file",
            "key.txt");
    assertThat(inspect.out()).contains("erp.employees").contains("[hr]").contains("finance");
    // this server keeps no oplog: the backup says it is not one moment, and why
    assertThat(inspect.out()).contains("moment: not one moment (the server keeps no oplog");
    Cli.Result noKey =
        Cli.run(dir, env, "inspect", "--storage", "s3://backups/rayerp", "--backup", "nightly-1");
    assertThat(noKey.out()).contains("contents are encrypted");

    Cli.Result r =
        Cli.run(
            dir,
            env,
            "restore",
            "--storage",
            "s3://backups/rayerp",
            "--backup",
            "nightly-1",
            "--identity-file",
            "key.txt",
            "--modules",
            "hr",
            "--rename-db",
            "erp=erp_restored",
            "--result-file",
            "restore.json");
    assertThat(r.exit()).as(r.err()).isZero();
    assertNoSecret(r);
    assertThat(client.getDatabase("erp_restored").getCollection("employees").countDocuments())
        .isEqualTo(5000);
    assertThat(client.getDatabase("erp_restored").listCollectionNames().into(new ArrayList<>()))
        .containsExactly("employees");

    Cli.Result logs =
        Cli.run(dir, env, "logs", "--storage", "s3://backups/rayerp", "--backup", "nightly-1");
    assertThat(logs.out()).contains("collection erp.employees: 5000 documents");
    assertThat(logs.out()).doesNotContain(PASSWORD);

    Cli.Result dl =
        Cli.run(
            dir,
            env,
            "download",
            "--storage",
            "s3://backups/rayerp",
            "--backup",
            "nightly-1",
            "--to",
            "plain.zip",
            "--decrypt",
            "--identity-file",
            "key.txt");
    assertThat(dl.exit()).as(dl.err()).isZero();
    Tools.require("unzip");
    assertThat(Tools.run(dir, List.of("unzip", "-t", "plain.zip")).exit()).isZero();
    // the decrypted zip stands on its own too: no storage, no key
    Cli.Result plain = Cli.run(dir, env, "inspect", "--archive", "plain.zip");
    assertThat(plain.exit()).as(plain.err()).isZero();
    assertThat(plain.out())
        .contains("Backup nightly-1")
        .contains("not encrypted")
        .contains("erp.employees");

    // share: a presigned URL that reads the stored archive with no credentials, and says how long
    Cli.Result share =
        Cli.run(
            dir,
            env,
            "share",
            "--storage",
            "s3://backups/rayerp",
            "--backup",
            "nightly-1",
            "--expires",
            "5",
            "--result-file",
            "share.json");
    assertThat(share.exit()).as(share.err()).isZero();
    assertNoSecret(share);
    JsonNode shared = Json.MAPPER.readTree(dir.resolve("share.json").toFile());
    assertThat(shared.get("status").asText()).isEqualTo("Shared");
    assertThat(shared.get("encrypted").asBoolean()).isTrue();
    var got =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(shared.get("url").asText())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.body().length).isEqualTo(shared.get("storedSize").asLong());
    assertThat(share.out()).contains("age-encrypted");
    Cli.Result tooLong =
        Cli.run(
            dir,
            env,
            "share",
            "--storage",
            "s3://backups/rayerp",
            "--backup",
            "nightly-1",
            "--expires",
            "100000");
    assertThat(tooLong.exit()).isEqualTo(2);
    assertThat(tooLong.err()).contains("--expires must be 1 to 1440 minutes");
  }

  @Test
  void
      givenADownloadedArchiveAlone_whenInspectedVerifiedAndRestored_thenItNeedsNoStorage_andADamagedCopyIsRefused()
          throws Exception {
    Path uploads = Files.createDirectories(dir.resolve("archive-src/uploads"));
    Files.writeString(uploads.resolve("contract.txt"), "signed by both parties");
    Cli.Result key =
        Cli.run(dir, Map.of(), "keygen", "-o", dir.resolve("archive-key.txt").toString());
    String recipient = key.out().strip();
    Map<String, String> env = Map.of("COFFER_MONGODB_URI", EmbeddedServers.uri(mongo));
    String store = dir.resolve("archive-store").toUri().toString();
    Cli.Result b =
        Cli.run(
            dir,
            env,
            "backup",
            "--storage",
            store,
            "--id",
            "handed-over",
            "--type",
            "full",
            "--include",
            "erp.*",
            "--files",
            "uploads=" + uploads,
            "--recipient",
            recipient);
    assertThat(b.exit()).as(b.err()).isZero();
    Cli.Result dl =
        Cli.run(
            dir,
            env,
            "download",
            "--storage",
            store,
            "--backup",
            "handed-over",
            "--to",
            "handed-over.zip.age");
    assertThat(dl.exit()).as(dl.err()).isZero();
    try (var walk =
        Files.walk(dir.resolve("archive-store"))) { // the storage is gone: only the file is left
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }

    Cli.Result noKey = Cli.run(dir, env, "inspect", "--archive", "handed-over.zip.age");
    assertThat(noKey.exit()).isEqualTo(6);
    assertThat(noKey.err()).contains("is age-encrypted; give --identity-file");
    Cli.Result inspect =
        Cli.run(
            dir,
            env,
            "inspect",
            "--archive",
            "handed-over.zip.age",
            "--identity-file",
            "archive-key.txt");
    assertThat(inspect.exit()).as(inspect.err()).isZero();
    assertThat(inspect.out())
        .contains("Backup handed-over")
        .contains("erp.employees")
        .contains("uploads                     1 files")
        .doesNotContain("(0 B raw)");
    Cli.Result verify =
        Cli.run(
            dir,
            env,
            "verify",
            "--archive",
            "handed-over.zip.age",
            "--identity-file",
            "archive-key.txt");
    assertThat(verify.exit()).as(verify.err()).isZero();
    assertThat(verify.out()).contains("5001 documents verified");
    Cli.Result both =
        Cli.run(
            dir,
            env,
            "restore",
            "--archive",
            "handed-over.zip.age",
            "--storage",
            store,
            "--backup",
            "handed-over");
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("leave out --backup");

    Path target = dir.resolve("archive-restored");
    Cli.Result r =
        Cli.run(
            dir,
            env,
            "restore",
            "--archive",
            "handed-over.zip.age",
            "--identity-file",
            "archive-key.txt",
            "--rename-db",
            "erp=erp_from_file",
            "--files-target",
            "uploads=" + target);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(client.getDatabase("erp_from_file").getCollection("employees").countDocuments())
        .isEqualTo(5000);
    assertThat(
            client
                .getDatabase("erp_from_file")
                .getCollection("employees")
                .find(new Document("_id", 42))
                .first()
                .getString("name"))
        .isEqualTo("Employee 42");
    assertThat(target.resolve("contract.txt")).hasContent("signed by both parties");

    // one flipped byte in the middle: refused before anything is swapped in, the target stays as it
    // was
    Path damaged = dir.resolve("damaged.zip.age");
    Files.copy(dir.resolve("handed-over.zip.age"), damaged);
    try (RandomAccessFile f = new RandomAccessFile(damaged.toFile(), "rw")) {
      long at = f.length() / 2;
      f.seek(at);
      int x = f.read();
      f.seek(at);
      f.write(x ^ 0x5a);
    }
    Cli.Result bad =
        Cli.run(
            dir,
            env,
            "restore",
            "--archive",
            "damaged.zip.age",
            "--identity-file",
            "archive-key.txt",
            "--rename-db",
            "erp=erp_damaged");
    assertThat(bad.exit()).isEqualTo(5);
    assertThat(bad.err().lines().filter(l -> l.contains("coffer: error:")).count()).isEqualTo(1);
    assertThat(client.getDatabase("erp_damaged").listCollectionNames().into(new ArrayList<>()))
        .isEmpty();
    Cli.Result notAnArchive = Cli.run(dir, env, "inspect", "--archive", "modules.yaml");
    assertThat(notAnArchive.exit()).isEqualTo(5);
    assertThat(notAnArchive.err()).contains("modules.yaml is not");
  }

  /**
   * A restore request of the staged {@code kind} (archiveFile or mongodump) {@code key} that
   * requires a SHA-256 the file does not have, into database {@code to}.
   */
  static String replacedRequest(
      String kind, String key, String storage, Path uriFile, String db, String to) {
    return "{\"kind\": \"restore\", \"source\": {\""
        + kind
        + "\": \""
        + key
        + "\", \"sha256\": \""
        + "0".repeat(64)
        + "\"}, \"storage\": "
        + storage
        + ", \"mongodb\": {\"uriFile\": \""
        + uriFile
        + "\", \"renameDatabases\": {\""
        + db
        + "\": \""
        + to
        + "\"}}, \"mode\": \"merge\"}";
  }

  /** The console's upload cap is S3's limit for one PUT at most, said in one line (exit 2). */
  @Test
  void givenAnUploadCapPastOnePut_thenTheConsoleRefusesToStart() throws Exception {
    Cli.Result r = Cli.run(dir, Map.of(), "console", "--upload-max-mib", "6000");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .contains(
            "--upload-max-mib must be 1 to 5120 (S3 takes at most 5 GiB in one PUT), not 6000");
  }

  /**
   * What the operator runs for an upload (console or curl): a presigned PUT under the storage's
   * staging folder, which an HTTP client without credentials fills; the staged archive then
   * inspects and restores from the storage by its path ({@code --archive KEY --storage}); listings
   * never take the staging folder for a backup; the removal takes it away. Keys outside the staging
   * folder, or that climb out of the storage, are refused. Simulated: S3 is S3Proxy.
   */
  @Test
  void givenAnUploadRequest_whenRun_thenAPresignedPutStagesAnArchiveThatRestoresByItsPath()
      throws Exception {
    Map<String, String> env = s3Env();
    String store = dir.resolve("upload-src").toUri().toString();
    Cli.Result b =
        Cli.run(
            dir,
            env,
            "backup",
            "--storage",
            store,
            "--id",
            "uploaded",
            "--type",
            "database",
            "--include",
            "erp.invoices");
    assertThat(b.exit()).as(b.err()).isZero();
    Cli.Result dl =
        Cli.run(
            dir,
            env,
            "download",
            "--storage",
            store,
            "--backup",
            "uploaded",
            "--to",
            "uploaded.zip");
    assertThat(dl.exit()).as(dl.err()).isZero();

    Path secrets = Files.createDirectories(dir.resolve("upload-secrets"));
    Path uriFile = secrets.resolve("uri");
    Files.writeString(uriFile, EmbeddedServers.uri(mongo) + "\n");
    Files.writeString(secrets.resolve("ak"), EmbeddedServers.ACCESS_KEY);
    Files.writeString(secrets.resolve("sk"), EmbeddedServers.SECRET_KEY);
    String storage =
        "{\"uri\": \"s3://backups/uploads\", \"s3\": {\"endpoint\": \""
            + EmbeddedServers.endpoint(s3)
            + "\", \"accessKeyIdFile\": \""
            + secrets.resolve("ak")
            + "\", \"secretAccessKeyFile\": \""
            + secrets.resolve("sk")
            + "\"}}";
    String key = ".coffer-uploads/r-1/uploaded.zip";
    java.util.function.BiFunction<String, Boolean, String> request =
        (k, remove) ->
            "{\"kind\": \"upload\", \"storage\": "
                + storage
                + ", \"key\": \""
                + k
                + "\", \"expiresMinutes\": 5, \"remove\": "
                + remove
                + ", \"report\": {\"resultFile\": \""
                + dir.resolve("upload-result.json")
                + "\"}}";
    Files.writeString(dir.resolve("upload-request.json"), request.apply(key, false));
    Cli.Result staged = Cli.run(dir, Map.of(), "run", "--request", "upload-request.json");
    assertThat(staged.exit()).as(staged.err()).isZero();
    assertNoSecret(staged);
    JsonNode result = Json.MAPPER.readTree(dir.resolve("upload-result.json").toFile());
    assertThat(result.get("status").asText()).isEqualTo("Staged");
    assertThat(result.get("key").asText()).isEqualTo(key);
    var put =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(result.get("url").asText()))
                    .PUT(HttpRequest.BodyPublishers.ofFile(dir.resolve("uploaded.zip")))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);

    Cli.Result list = Cli.run(dir, env, "list", "--storage", "s3://backups/uploads");
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out() + list.err()).doesNotContain("coffer-uploads");
    Cli.Result inspect =
        Cli.run(dir, env, "inspect", "--storage", "s3://backups/uploads", "--archive", key);
    assertThat(inspect.exit()).as(inspect.err()).isZero();
    assertThat(inspect.out()).contains("Backup uploaded").contains("erp.invoices");
    Cli.Result r =
        Cli.run(
            dir,
            env,
            "restore",
            "--storage",
            "s3://backups/uploads",
            "--archive",
            key,
            "--rename-db",
            "erp=erp_uploaded");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(client.getDatabase("erp_uploaded").getCollection("invoices").countDocuments())
        .isEqualTo(1);

    // a staged file that is not the one its uploader announced: refused before anything is written
    Files.writeString(
        dir.resolve("announced-request.json"),
        replacedRequest("archiveFile", key, storage, uriFile, "erp", "erp_replaced"));
    Cli.Result replaced = Cli.run(dir, Map.of(), "run", "--request", "announced-request.json");
    assertThat(replaced.exit()).as(replaced.err()).isEqualTo(5);
    assertThat(replaced.err()).contains("is not the file that was uploaded");
    assertThat(client.getDatabase("erp_replaced").listCollectionNames().into(new ArrayList<>()))
        .isEmpty();

    // the same for a staged mongodump, checked once read through, before anything is put in place
    String dumpKey = ".coffer-uploads/r-2/cron.archive.gz";
    Files.writeString(dir.resolve("upload-request.json"), request.apply(dumpKey, false));
    Cli.Result dumpStaged = Cli.run(dir, Map.of(), "run", "--request", "upload-request.json");
    assertThat(dumpStaged.exit()).as(dumpStaged.err()).isZero();
    List<org.bson.RawBsonDocument> staff = new ArrayList<>();
    for (int i = 0; i < 20; i++)
      staff.add(
          new org.bson.RawBsonDocument(
              io.coffer.testing.MongodumpFixtures.bson(
                  new org.bson.BsonDocument("_id", new org.bson.BsonInt32(i)))));
    byte[] dump =
        io.coffer.testing.MongodumpFixtures.archive(
            List.of(new io.coffer.testing.MongodumpFixtures.Coll("legacy", "staff", staff)),
            null,
            100,
            1,
            true);
    var dumpPut =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            Json.MAPPER
                                .readTree(dir.resolve("upload-result.json").toFile())
                                .get("url")
                                .asText()))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(dump))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(dumpPut.statusCode()).as(dumpPut.body()).isEqualTo(200);
    Files.writeString(
        dir.resolve("dump-request.json"),
        replacedRequest("mongodump", dumpKey, storage, uriFile, "legacy", "legacy_replaced"));
    Cli.Result dumpReplaced = Cli.run(dir, Map.of(), "run", "--request", "dump-request.json");
    assertThat(dumpReplaced.exit()).as(dumpReplaced.err()).isEqualTo(5);
    assertThat(dumpReplaced.err()).contains("is not the file that was uploaded");
    assertThat(client.getDatabase("legacy_replaced").listCollectionNames().into(new ArrayList<>()))
        .as("staged collections dropped, nothing put in place")
        .isEmpty();

    Cli.Result climbing =
        Cli.run(
            dir, env, "inspect", "--storage", "s3://backups/uploads", "--archive", "../run/x.zip");
    assertThat(climbing.exit()).isEqualTo(2);
    assertThat(climbing.err()).contains("without '.', '..'");
    Cli.Result missing =
        Cli.run(dir, env, "inspect", "--storage", "s3://backups/uploads", "--archive", "nope.zip");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("no object nope.zip in");
    Files.writeString(
        dir.resolve("outside-request.json"), request.apply("run-1/archive.zip", false));
    Cli.Result outside = Cli.run(dir, Map.of(), "run", "--request", "outside-request.json");
    assertThat(outside.exit()).isEqualTo(2);
    assertThat(outside.err()).contains("an upload goes under .coffer-uploads/");

    Files.writeString(dir.resolve("remove-request.json"), request.apply(key, true));
    Cli.Result removed = Cli.run(dir, Map.of(), "run", "--request", "remove-request.json");
    assertThat(removed.exit()).as(removed.err()).isZero();
    assertThat(
            Json.MAPPER
                .readTree(dir.resolve("upload-result.json").toFile())
                .get("removed")
                .asBoolean())
        .isTrue();
    Cli.Result gone =
        Cli.run(dir, env, "inspect", "--storage", "s3://backups/uploads", "--archive", key);
    assertThat(gone.exit()).isEqualTo(2);
  }

  /**
   * {@code coffer copy} to a second bucket (with its own credential files) and to a volume (a
   * directory): each copy lists as complete and restores, with no key given to the copy; a second
   * copy finds it there; wrong destination credentials name the destination's flags; a damaged
   * source is not copied (exit 5) and leaves nothing listed. Simulated: both buckets are on one
   * S3Proxy (one endpoint), the volume is a local directory.
   */
  @Test
  void givenABackup_whenCopiedToASecondBucketAndAVolume_thenEachCopyListsAndRestores()
      throws Exception {
    Cli.Result key = Cli.run(dir, Map.of(), "keygen", "-o", dir.resolve("copy-key.txt").toString());
    assertThat(key.exit()).as(key.err()).isZero();
    Map<String, String> env = s3Env();
    EmbeddedServers.makeBucket(s3, "offsite");
    Cli.Result b =
        Cli.run(
            dir,
            env,
            "backup",
            "--storage",
            "s3://backups/copies",
            "--id",
            "c-1",
            "--include",
            "erp.invoices",
            "--recipient",
            key.out().strip());
    assertThat(b.exit()).as(b.err()).isZero();
    Files.writeString(dir.resolve("to-ak"), EmbeddedServers.ACCESS_KEY);
    Files.writeString(dir.resolve("to-sk"), "not-" + EmbeddedServers.SECRET_KEY);
    Cli.Result denied =
        Cli.run(
            dir,
            env,
            "copy",
            "--storage",
            "s3://backups/copies",
            "--backup",
            "c-1",
            "--to",
            "s3://offsite/erp",
            "--to-access-key-file",
            "to-ak",
            "--to-secret-key-file",
            "to-sk");
    assertThat(denied.exit()).as(denied.err()).isEqualTo(4);
    assertThat(denied.err()).contains("the copy's destination").contains("--to-access-key-file");
    assertNoSecret(denied);

    Files.writeString(dir.resolve("to-sk"), EmbeddedServers.SECRET_KEY);
    Cli.Result c =
        Cli.run(
            dir,
            env,
            "copy",
            "--storage",
            "s3://backups/copies",
            "--backup",
            "c-1",
            "--to",
            "s3://offsite/erp",
            "--to-access-key-file",
            "to-ak",
            "--to-secret-key-file",
            "to-sk",
            "--output",
            "json");
    assertThat(c.exit()).as(c.err()).isZero();
    assertNoSecret(c);
    JsonNode copied = Json.MAPPER.readTree(c.out());
    assertThat(copied.get("status").asText()).isEqualTo("Copied");
    assertThat(copied.get("objects").asInt()).isGreaterThanOrEqualTo(4);
    assertThat(copied.get("alreadyThere").asBoolean()).isFalse();
    Cli.Result again =
        Cli.run(
            dir,
            env,
            "copy",
            "--storage",
            "s3://backups/copies",
            "--backup",
            "c-1",
            "--to",
            "s3://offsite/erp");
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out()).contains("is at").contains("already");
    Cli.Result listed = Cli.run(dir, env, "list", "--storage", "s3://offsite/erp");
    assertThat(listed.out()).contains("c-1").contains("yes");

    Path volume = dir.resolve("copy-volume");
    Files.createDirectories(volume);
    Cli.Result toVolume =
        Cli.run(
            dir,
            env,
            "copy",
            "--storage",
            "s3://backups/copies",
            "--backup",
            "c-1",
            "--to",
            volume.toUri().toString());
    assertThat(toVolume.exit()).as(toVolume.err()).isZero();
    Cli.Result restored =
        Cli.run(
            dir,
            env,
            "restore",
            "--storage",
            volume.toUri().toString(),
            "--backup",
            "c-1",
            "--identity-file",
            "copy-key.txt",
            "--rename-db",
            "erp=erp_fromcopy");
    assertThat(restored.exit()).as(restored.err()).isZero();
    assertThat(client.getDatabase("erp_fromcopy").getCollection("invoices").countDocuments())
        .isEqualTo(1);

    // a damaged source: one byte of the volume copy's archive flipped, then copied on
    Path archive;
    try (var files = Files.list(volume.resolve("c-1"))) {
      archive =
          files.filter(f -> f.getFileName().toString().startsWith("archive")).findFirst().get();
    }
    byte[] bytes = Files.readAllBytes(archive);
    bytes[bytes.length / 2] ^= 1;
    Files.write(archive, bytes);
    Cli.Result damaged =
        Cli.run(
            dir,
            env,
            "copy",
            "--storage",
            volume.toUri().toString(),
            "--backup",
            "c-1",
            "--to",
            "s3://offsite/damaged");
    assertThat(damaged.exit()).as(damaged.err()).isEqualTo(5);
    assertThat(damaged.err()).contains("does not match its descriptor's SHA-256");
    assertThat(Cli.run(dir, env, "list", "--storage", "s3://offsite/damaged").out())
        .doesNotContain("c-1");
  }

  @Test
  void givenABackupKilledMidway_thenItNeverLooksComplete_andARetryWithTheSameIdSucceedsAndCleansUp()
      throws Exception {
    var big = client.getDatabase("big").getCollection("events");
    List<Document> docs = new ArrayList<>();
    Random r = new Random(9);
    for (int i = 0; i < 150_000; i++) {
      docs.add(
          new Document("_id", i)
              .append(
                  "payload",
                  Long.toHexString(r.nextLong()) + Long.toHexString(r.nextLong()) + " event " + i));
      if (docs.size() == 10_000) {
        big.insertMany(docs);
        docs.clear();
      }
    }
    Path store = dir.resolve("kill-store");
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            cp,
            "io.coffer.cli.Main",
            "backup",
            "--storage",
            "file://" + store,
            "--id",
            "killed",
            "--include",
            "big",
            "--level",
            "9",
            "--progress",
            "json");
    pb.environment().put("COFFER_MONGODB_URI", EmbeddedServers.uri(mongo));
    Path err = dir.resolve("kill-err.txt");
    pb.redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    long deadline = System.currentTimeMillis() + 60_000;
    // kill it as soon as the archive is being written (a hidden .partial- file appears)
    while (p.isAlive()
        && System.currentTimeMillis() < deadline
        && !hasPartial(store.resolve("killed"))) {
      Thread.sleep(5);
    }
    assertThat(p.isAlive())
        .as("the backup must still run when it is killed; raise the data size if this fails")
        .isTrue();
    p.destroyForcibly().waitFor();

    Cli.Result restore =
        Cli.run(
            dir,
            Map.of("COFFER_MONGODB_URI", EmbeddedServers.uri(mongo)),
            "restore",
            "--storage",
            "file://" + store,
            "--backup",
            "killed");
    assertThat(restore.exit()).isEqualTo(7);
    assertThat(Cli.run(dir, Map.of(), "list", "--storage", "file://" + store).out())
        .doesNotContain("killed  ")
        .doesNotContainPattern("killed\\s+20");
    Cli.Result again =
        Cli.run(
            dir,
            Map.of("COFFER_MONGODB_URI", EmbeddedServers.uri(mongo)),
            "backup",
            "--storage",
            "file://" + store,
            "--id",
            "killed",
            "--include",
            "big");
    assertThat(again.exit()).as(again.err()).isZero();
    try (var files = Files.walk(store)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .noneMatch(n -> n.startsWith(".partial-"));
    }
    Cli.Result verify =
        Cli.run(
            dir,
            Map.of(),
            "verify",
            "--storage",
            "file://" + store,
            "--backup",
            "killed",
            "--deep");
    assertThat(verify.exit()).as(verify.err()).isZero();
    assertThat(verify.out()).contains("150000 documents verified");
    client.getDatabase("big").drop();
  }

  static boolean hasPartial(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) return false;
    try (var s = Files.list(folder)) {
      return s.anyMatch(f -> f.getFileName().toString().startsWith(".partial-archive"));
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  @Test
  void givenBadS3Credentials_whenBackingUp_thenStorageExitCodeAndAOneLineErrorWithoutTheSecret()
      throws Exception {
    Map<String, String> env = s3Env();
    env.put("AWS_SECRET_ACCESS_KEY", "wrong-secret-value-123");
    Cli.Result r =
        Cli.run(
            dir,
            env,
            "backup",
            "--storage",
            "s3://backups/x",
            "--id",
            "bad-creds",
            "--result-file",
            "fail.json");
    assertThat(r.exit()).isEqualTo(4);
    assertThat(r.err().strip().lines().filter(l -> l.startsWith("coffer: error:")).toList())
        .singleElement()
        .asString()
        .contains("refused the credentials");
    assertThat(r.err()).doesNotContain("wrong-secret-value-123");
    JsonNode fail = Json.MAPPER.readTree(dir.resolve("fail.json").toFile());
    assertThat(fail.get("status").asText()).isEqualTo("Failed");
    assertThat(fail.get("exitCode").asInt()).isEqualTo(4);
  }

  /**
   * A team's old mongodump output, restored by the CLI: a folder with --dry-run then for real, a
   * gzipped archive on standard input (as `mongodump --archive --gzip | coffer restore
   * --from-mongodump -`), and the mistakes a user makes. Simulated: the dumps come from
   * MongodumpFixtures (mongodump's format, not mongodump).
   */
  @Test
  void
      givenAMongodump_whenRestoredByTheCli_thenAFolderAndAnArchiveOnStdinLandAndMistakesGetClearLines()
          throws Exception {
    List<org.bson.RawBsonDocument> staff = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      staff.add(
          new org.bson.RawBsonDocument(
              MongodumpFixtures.bson(
                  new org.bson.BsonDocument("_id", new org.bson.BsonInt32(i))
                      .append("name", new org.bson.BsonString("Staff " + i)))));
    }
    var colls = List.of(new MongodumpFixtures.Coll("legacy", "staff", staff));
    Path folder = dir.resolve("legacy-dump");
    MongodumpFixtures.folder(folder, colls, null, true);
    Map<String, String> env = Map.of("COFFER_MONGODB_URI", EmbeddedServers.uri(mongo));
    Cli.Result plan =
        Cli.run(dir, env, "restore", "--from-mongodump", folder.toString(), "--dry-run");
    assertThat(plan.exit()).as(plan.err()).isZero();
    assertThat(plan.out())
        .contains(
            "Restore plan for the mongodump " + folder,
            "create",
            "legacy.staff -> legacy.staff (300 documents");
    assertThat(client.getDatabase("legacy").getCollection("staff").countDocuments()).isZero();
    Cli.Result ok =
        Cli.run(
            dir,
            env,
            "restore",
            "--from-mongodump",
            folder.toString(),
            "--rename-db",
            "legacy=legacy_copy",
            "--result-file",
            "dump-result.json");
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("Restore of the mongodump " + folder + " succeeded");
    assertThat(client.getDatabase("legacy_copy").getCollection("staff").countDocuments())
        .isEqualTo(300);
    assertThat(
            Json.MAPPER
                .readTree(dir.resolve("dump-result.json").toFile())
                .get("documents")
                .asLong())
        .isEqualTo(300);
    // the same folder by its path in a volume storage (what a Restore's source.mongodump runs),
    // never outside it
    Cli.Result inStorage =
        Cli.run(
            dir,
            env,
            "restore",
            "--storage",
            dir.toUri().toString(),
            "--from-mongodump",
            "legacy-dump",
            "--rename-db",
            "legacy=legacy_vol");
    assertThat(inStorage.exit()).as(inStorage.err()).isZero();
    assertThat(client.getDatabase("legacy_vol").getCollection("staff").countDocuments())
        .isEqualTo(300);
    Cli.Result escape =
        Cli.run(
            dir,
            env,
            "restore",
            "--storage",
            folder.toUri().toString(),
            "--from-mongodump",
            "../legacy-dump");
    assertThat(escape.exit()).isEqualTo(2);
    assertThat(escape.err()).contains("names a path inside that storage");
    Path vol = Files.createDirectories(dir.resolve("dump-volume"));
    Files.createSymbolicLink(
        vol.resolve("cron"), folder); // a link planted in the storage, out of it
    Cli.Result link =
        Cli.run(
            dir, env, "restore", "--storage", vol.toUri().toString(), "--from-mongodump", "cron");
    assertThat(link.exit()).isEqualTo(2);
    assertThat(link.err()).contains("leads out of the storage");
    Path archive = dir.resolve("legacy.archive.gz");
    Files.write(archive, MongodumpFixtures.archive(colls, null, 50, 1, true));
    // a replace over what exists, with no terminal to ask: refused until --yes
    Cli.Result asks =
        Cli.runWithInput(
            dir,
            env,
            archive,
            "restore",
            "--from-mongodump",
            "-",
            "--rename-db",
            "legacy=legacy_copy");
    assertThat(asks.exit()).isEqualTo(2);
    assertThat(asks.err())
        .contains(
            "a replace would delete what the dump does not hold (collection legacy_copy.staff and its 300 documents)");
    Cli.Result piped =
        Cli.runWithInput(
            dir,
            env,
            archive,
            "restore",
            "--from-mongodump",
            "-",
            "--rename-db",
            "legacy=legacy_copy",
            "--yes",
            "--output",
            "json");
    assertThat(piped.exit()).as(piped.err()).isZero();
    assertThat(Json.MAPPER.readTree(piped.out()).get("backupId").asText())
        .isEqualTo("mongodump on standard input");
    assertThat(client.getDatabase("legacy_copy").getCollection("staff").countDocuments())
        .isEqualTo(300);
    // the archive a mongodump cron uploaded to S3 (S3Proxy, through the engine's S3 client)
    Map<String, String> s3 = s3Env();
    try (var store = StorageLocations.open("s3://backups/mongodump-cron", null, null, s3);
        var out = store.create("2026-11-30.archive.gz")) {
      out.write(Files.readAllBytes(archive));
    }
    Cli.Result fromS3 =
        Cli.run(
            dir,
            s3,
            "restore",
            "--from-mongodump",
            "s3://backups/mongodump-cron/2026-11-30.archive.gz",
            "--rename-db",
            "legacy=legacy_s3");
    assertThat(fromS3.exit()).as(fromS3.err()).isZero();
    assertThat(client.getDatabase("legacy_s3").getCollection("staff").countDocuments())
        .isEqualTo(300);
    assertNoSecret(fromS3);
    Cli.Result noObject =
        Cli.run(
            dir,
            s3,
            "restore",
            "--from-mongodump",
            "s3://backups/mongodump-cron/missing.archive.gz");
    assertThat(noObject.exit()).as(noObject.err()).isEqualTo(7);
    // mistakes: a stray option, a file that is no dump, a damaged archive (exit 5, the target
    // untouched)
    Cli.Result both =
        Cli.run(dir, env, "restore", "--from-mongodump", folder.toString(), "--backup", "x");
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("leave out --backup and --archive");
    Cli.Result files =
        Cli.run(
            dir,
            env,
            "restore",
            "--from-mongodump",
            folder.toString(),
            "--files-target",
            "uploads=/tmp/x");
    assertThat(files.exit()).isEqualTo(2);
    assertThat(files.err()).contains("a mongodump holds only collections");
    Files.writeString(dir.resolve("notes.txt"), "not a dump");
    Cli.Result notDump = Cli.run(dir, env, "restore", "--from-mongodump", "notes.txt");
    assertThat(notDump.exit()).isEqualTo(2);
    assertThat(notDump.err().strip().lines().filter(l -> l.startsWith("coffer: error:")).toList())
        .singleElement()
        .asString()
        .contains("is not a mongodump archive");
    byte[] whole = Files.readAllBytes(archive);
    Files.write(archive, Arrays.copyOf(whole, whole.length - 20));
    Cli.Result cut =
        Cli.run(
            dir,
            env,
            "restore",
            "--from-mongodump",
            archive.toString(),
            "--rename-db",
            "legacy=legacy_copy",
            "--yes");
    assertThat(cut.exit()).as(cut.err()).isEqualTo(5);
    assertThat(client.getDatabase("legacy_copy").getCollection("staff").countDocuments())
        .isEqualTo(300);
    assertThat(client.getDatabase("legacy_copy").listCollectionNames().into(new ArrayList<>()))
        .containsExactly("staff");
  }

  @Test
  void givenTypicalMistakes_whenRunning_thenEachGetsItsExitCodeAndAClearLine() throws Exception {
    Path store = dir.resolve("fs-store");
    Map<String, String> env = Map.of("COFFER_MONGODB_URI", EmbeddedServers.uri(mongo));
    // credentials refused (mongo-java-server has no users): exit 3, the password never printed
    Cli.Result refused =
        Cli.run(
            dir,
            Map.of("COFFER_MONGODB_URI", secretUri()),
            "backup",
            "--storage",
            "file://" + store);
    assertThat(refused.exit()).isEqualTo(3);
    assertThat(refused.err()).contains("refused the credentials");
    assertNoSecret(refused);
    // usage: unknown type, missing --files, bad module
    assertThat(
            Cli.run(dir, env, "backup", "--storage", "file://" + store, "--type", "everything")
                .exit())
        .isEqualTo(2);
    Cli.Result noFiles =
        Cli.run(dir, env, "backup", "--storage", "file://" + store, "--type", "files");
    assertThat(noFiles.exit()).isEqualTo(2);
    assertThat(noFiles.err()).contains("--files NAME=DIR");
    Cli.Result badModule =
        Cli.run(
            dir,
            env,
            "backup",
            "--storage",
            "file://" + store,
            "--modules",
            "payroll",
            "--module-map",
            "modules.yaml");
    assertThat(badModule.exit()).isEqualTo(2);
    assertThat(badModule.err()).contains("unknown module 'payroll'").contains("hr, finance");
    // source unreachable, with the password kept out of the message
    Cli.Result down =
        Cli.run(
            dir,
            Map.of("COFFER_MONGODB_URI", "mongodb://u:" + PASSWORD + "@127.0.0.1:1/"),
            "backup",
            "--storage",
            "file://" + store,
            "--timeout",
            "1");
    assertThat(down.exit()).isEqualTo(3);
    assertThat(down.err()).contains("cannot reach MongoDB at mongodb://127.0.0.1:1");
    assertNoSecret(down);
    // not found
    Cli.Result missing =
        Cli.run(dir, env, "restore", "--storage", "file://" + store, "--backup", "nope");
    assertThat(missing.exit()).isEqualTo(7);
    // a good backup, then damage it: verify 5, restore 5 and the target untouched
    client
        .getDatabase("erp")
        .getCollection("payments")
        .insertOne(new Document("_id", 1).append("total", 5));
    Cli.Result ok =
        Cli.run(
            dir,
            env,
            "backup",
            "--storage",
            "file://" + store,
            "--id",
            "fs-1",
            "--include",
            "erp.payments");
    assertThat(ok.exit()).as(ok.err()).isZero();
    client
        .getDatabase("erp")
        .getCollection("payments")
        .insertOne(new Document("_id", 2).append("total", 7));
    try (RandomAccessFile f =
        new RandomAccessFile(store.resolve("fs-1/archive.zip").toFile(), "rw")) {
      f.seek(40);
      int b = f.read();
      f.seek(40);
      f.write(b ^ 1);
    }
    assertThat(
            Cli.run(dir, env, "verify", "--storage", "file://" + store, "--backup", "fs-1").exit())
        .isEqualTo(5);
    Cli.Result bad =
        Cli.run(dir, env, "restore", "--storage", "file://" + store, "--backup", "fs-1", "--yes");
    assertThat(bad.exit()).as(bad.err()).isEqualTo(5);
    assertThat(client.getDatabase("erp").getCollection("payments").countDocuments()).isEqualTo(2);
    // an incomplete backup (no backup.json) is reported as such
    Files.createDirectories(store.resolve("half"));
    Files.writeString(store.resolve("half/archive.zip"), "partial");
    Cli.Result half =
        Cli.run(dir, env, "restore", "--storage", "file://" + store, "--backup", "half");
    assertThat(half.exit()).isEqualTo(7);
    assertThat(half.err()).contains("incomplete");
    assertThat(Cli.run(dir, env, "list", "--storage", "file://" + store).out())
        .contains("no (interrupted)");
    // wrong key: exit 6
    Cli.Result key = Cli.run(dir, Map.of(), "keygen", "-o", dir.resolve("k6.txt").toString());
    Cli.Result other = Cli.run(dir, Map.of(), "keygen", "-o", dir.resolve("k7.txt").toString());
    Cli.Result enc =
        Cli.run(
            dir,
            env,
            "backup",
            "--storage",
            "file://" + store,
            "--id",
            "enc-1",
            "--include",
            "erp.payments",
            "--recipient",
            key.out().strip());
    assertThat(enc.exit()).as(enc.err()).isZero();
    Cli.Result wrong =
        Cli.run(
            dir,
            env,
            "restore",
            "--storage",
            "file://" + store,
            "--backup",
            "enc-1",
            "--identity-file",
            "k7.txt");
    assertThat(wrong.exit()).isEqualTo(6);
    assertThat(wrong.err()).contains("no identity matches");
    assertThat(other.exit()).isZero();
    // every command has --help
    for (String c :
        List.of("backup", "restore", "verify", "inspect", "list", "download", "logs", "keygen")) {
      Cli.Result h = Cli.run(dir, Map.of(), c, "--help");
      assertThat(h.exit()).as(c).isZero();
      assertThat(h.out()).as(c).contains("Usage: coffer " + c);
    }
  }

  @Test
  void
      givenABackupRunning_whenASecondWithTheSameIdStarts_thenItIsRefusedWithExitEight_andTheFirstCompletesAlone()
          throws Exception {
    Path src = Files.createDirectories(dir.resolve("slow-src"));
    byte[] data = new byte[4 << 20];
    new Random(3).nextBytes(data);
    Files.write(src.resolve("scan.pdf"), data);
    Path store = dir.resolve("lock-store");
    String[] args = {
      "backup",
      "--storage",
      "file://" + store,
      "--id",
      "same",
      "--type",
      "files",
      "--files",
      "up=" + src,
      "--limit-upload",
      "1"
    };
    Process first = Cli.startLogged(dir, Map.of(), dir.resolve("first.log"), args);
    long deadline = System.currentTimeMillis() + 30_000;
    while (!Files.exists(store.resolve("same/.coffer-lock"))
        && System.currentTimeMillis() < deadline) Thread.sleep(50);
    Cli.Result second = Cli.run(dir, Map.of(), args);
    assertThat(second.exit()).as(second.err()).isEqualTo(8);
    assertThat(second.err())
        .contains(
            "backup same in file://" + store + " is being written by another run (backup run ");
    assertThat(first.isAlive())
        .as("the first backup still runs while the second is refused")
        .isTrue();
    assertThat(first.waitFor()).as(Files.readString(dir.resolve("first.log"))).isZero();
    Cli.Result verify =
        Cli.run(
            dir, Map.of(), "verify", "--storage", "file://" + store, "--backup", "same", "--deep");
    assertThat(verify.exit()).as(verify.err()).isZero();
    Cli.Result again = Cli.run(dir, Map.of(), args);
    assertThat(again.exit()).isEqualTo(2);
    assertThat(again.err()).contains("already exists");
  }

  /**
   * samples/secrets.yaml as shipped, every value unedited: each place the engine reads one refuses
   * it before touching MongoDB or storage, exit 2, naming what to edit and never echoing the value.
   * Real: the jar, the samples file.
   */
  @Test
  @SuppressWarnings("unchecked")
  void givenTheSamplesSecretsUnedited_thenEachIsRefusedAtOnce_sayingWhatToEdit() throws Exception {
    Map<String, String> values = new HashMap<>();
    try (var in = Files.newInputStream(Path.of("../samples/secrets.yaml"))) {
      for (Object doc : new org.yaml.snakeyaml.Yaml().loadAll(in)) {
        Map<String, Object> m = (Map<String, Object>) doc;
        if (!"Secret".equals(m.get("kind"))) continue;
        String name = (String) ((Map<String, Object>) m.get("metadata")).get("name");
        ((Map<String, Object>) m.get("stringData"))
            .forEach((k, v) -> values.put(name + "/" + k, String.valueOf(v)));
      }
    }
    assertThat(values)
        .containsKeys(
            "rayerp-mongodb/uri",
            "backup-bucket/AWS_ACCESS_KEY_ID",
            "backup-recipients/recipients",
            "backup-identity/identity",
            "backup-index-key/key");
    Path recipients =
        Files.writeString(
            dir.resolve("sample-recipients"), values.get("backup-recipients/recipients"));
    Path identity =
        Files.writeString(dir.resolve("sample-identity"), values.get("backup-identity/identity"));
    Path indexKey =
        Files.writeString(dir.resolve("sample-index-key"), values.get("backup-index-key/key"));
    String storage = "file://" + Files.createDirectories(dir.resolve("samples-store"));
    Map<String, String> env = s3Env();
    List<Cli.Result> refused = new ArrayList<>();
    refused.add(
        Cli.run(
            dir,
            env,
            "backup",
            "--storage",
            storage,
            "--type",
            "database",
            "--recipients-file",
            recipients.toString()));
    refused.add(
        Cli.run(
            dir,
            env,
            "backup",
            "--storage",
            storage,
            "--type",
            "database",
            "--index-key-file",
            indexKey.toString()));
    Map<String, String> sampleUri = new HashMap<>(env);
    sampleUri.put("COFFER_MONGODB_URI", values.get("rayerp-mongodb/uri"));
    refused.add(Cli.run(dir, sampleUri, "backup", "--storage", storage, "--type", "database"));
    Map<String, String> sampleS3 = new HashMap<>(env);
    sampleS3.put("AWS_ACCESS_KEY_ID", values.get("backup-bucket/AWS_ACCESS_KEY_ID"));
    sampleS3.put("AWS_SECRET_ACCESS_KEY", values.get("backup-bucket/AWS_SECRET_ACCESS_KEY"));
    refused.add(
        Cli.run(
            dir, sampleS3, "backup", "--storage", "s3://backups/samples", "--type", "database"));
    refused.add(
        Cli.run(
            dir,
            env,
            "restore",
            "--storage",
            storage,
            "--backup",
            "any",
            "--identity-file",
            identity.toString(),
            "--dry-run"));
    for (Cli.Result r : refused) {
      assertThat(r.exit()).as(r.err()).isEqualTo(2);
      assertThat(r.err())
          .contains("still holds the samples' placeholder CHANGE-ME")
          .doesNotContain("coffer-backup:");
    }
    assertThat(refused.get(0).err()).contains("--recipients-file");
    assertThat(refused.get(2).err()).contains("COFFER_MONGODB_URI");
    assertThat(refused.get(3).err()).contains("AWS_ACCESS_KEY_ID");
    assertThat(Files.list(dir.resolve("samples-store"))).as("nothing was written").isEmpty();
    // the recipient the samples once shipped: its private key is nobody's here
    Files.writeString(
        recipients, "# ops team\nage1nfv358qmqd2dzsrdhj93mqscurcqsaeuehyp6kdev9phs652v9ksw3sa7x\n");
    Cli.Result old =
        Cli.run(
            dir,
            env,
            "backup",
            "--storage",
            storage,
            "--type",
            "database",
            "--recipients-file",
            recipients.toString());
    assertThat(old.exit()).isEqualTo(2);
    assertThat(old.err()).contains("holds the recipient from samples/secrets.yaml");
  }
}
