package io.coffer.controller;

import static io.coffer.controller.OperatorHarness.NS;
import static io.coffer.controller.OperatorHarness.client;
import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.coffer.api.Backup;
import io.coffer.api.BackupSchedule;
import io.coffer.api.BackupScheduleSpec;
import io.coffer.api.BackupScheduleStatus;
import io.coffer.api.BackupStatus;
import io.coffer.api.KeyRef;
import io.coffer.api.Phase;
import io.coffer.api.Restore;
import io.coffer.api.RestoreSpec;
import io.coffer.console.ConsoleServer;
import io.coffer.console.Users;
import io.coffer.e2e.Browser;
import io.coffer.testing.ControlPlane;
import io.coffer.testing.EmbeddedServers;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The console in a real browser (headless Chromium through Selenium), against the real control
 * plane and the operator of {@link OperatorHarness}: the Backups, Schedules, Logs and Restore
 * screens, clicked as an admin would. Each console acts as a ServiceAccount bound to the chart's
 * own roles (coffer-viewer, -editor, -restorer), so what the page offers and what the API server
 * allows come from RBAC, not from the console. Simulated: the nodes (the harness's node agent runs
 * each Job's pod from the image); MongoDB is mongo-java-server, S3 is S3Proxy.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleE2E {
  static final String BULK = "history";
  static Browser browser;
  static ConsoleServer ops;
  static ConsoleServer auditor;
  static ConsoleServer proxied;
  static String auditorToken;
  static String manual;

  @BeforeAll
  static void start() throws Exception {
    String missing = Browser.missing();
    if ("true".equalsIgnoreCase(System.getenv("CI")) && missing != null)
      throw new AssertionError(missing + " - CI=true requires it");
    Assumptions.assumeTrue(missing == null, missing);
    OperatorHarness.start();
    ControlPlane cp = OperatorHarness.cluster.controlPlane();
    if (client.namespaces().withName(BULK).get() == null) {
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(BULK).endMetadata().build())
          .create();
    }
    // ops: backs up, schedules and restores (the chart's three roles, plus Kubernetes' view for the
    // module map ConfigMap)
    account(
        "ops",
        List.of("coffer-viewer", "coffer-editor", "coffer-restorer", "view"),
        List.of(NS, BULK));
    // auditor: may look, never act
    account("auditor", List.of("coffer-viewer"), List.of(NS, BULK));
    // names of its own: the other suites of this JVM share the namespace
    client
        .configMaps()
        .inNamespace(NS)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("console-modules")
                .endMetadata()
                .withData(
                    Map.of(
                        "modules.yaml",
                        "modules:\n  hr: [erp.employees]\n  finance: [erp.invoices]\n"))
                .build())
        .create();
    BackupSchedule nightly = new BackupSchedule();
    nightly.getMetadata().setName("erp-nightly");
    nightly.getMetadata().setNamespace(NS);
    nightly.setSpec(new BackupScheduleSpec());
    nightly.getSpec().schedule = "0 3 1 1 *"; // once a year: the test makes its Backups by hand
    nightly.getSpec().template = OperatorHarness.backup("template", "s3").getSpec();
    nightly.getSpec().template.source.mongodb.moduleMap =
        new KeyRef("console-modules", "modules.yaml");
    nightly.getSpec().template.source.mongodb.modules = List.of("hr", "finance");
    client.resource(nightly).create();
    ops = new ConsoleServer(Users.kubeconfig(cp.client(cp.token(NS, "ops"))), settings());
    auditorToken = cp.token(NS, "auditor");
    auditor = new ConsoleServer(Users.kubeconfig(cp.client(auditorToken)), settings());
    proxied =
        new ConsoleServer(
            Users.forwardedToken(
                new ConfigBuilder(io.fabric8.kubernetes.client.Config.empty())
                    .withMasterUrl(cp.server())
                    .withTrustCerts(true)
                    .build()),
            new ConsoleServer.Settings(InetAddress.getLoopbackAddress(), 0, List.of(NS)));
    browser = new Browser();
  }

  static ConsoleServer.Settings settings() {
    return new ConsoleServer.Settings(InetAddress.getLoopbackAddress(), 0, List.of(NS, BULK));
  }

  static void account(String name, List<String> roles, List<String> namespaces) {
    if (client.serviceAccounts().inNamespace(NS).withName(name).get() == null) {
      client
          .serviceAccounts()
          .inNamespace(NS)
          .resource(
              new ServiceAccountBuilder().withNewMetadata().withName(name).endMetadata().build())
          .create();
    }
    for (String ns : namespaces) {
      for (String role : roles) {
        client
            .rbac()
            .roleBindings()
            .inNamespace(ns)
            .resource(
                new RoleBindingBuilder()
                    .withNewMetadata()
                    .withName(name + "-" + role)
                    .endMetadata()
                    .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", role)
                    .addNewSubject()
                    .withKind("ServiceAccount")
                    .withName(name)
                    .withNamespace(NS)
                    .endSubject()
                    .build())
            .serverSideApply();
      }
    }
  }

  static <T> T poll(Supplier<T> seen) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    for (T t; System.currentTimeMillis() < deadline; Thread.sleep(100)) {
      if ((t = seen.get()) != null) return t;
    }
    throw new AssertionError("timed out");
  }

  @AfterAll
  static void stop() {
    if (browser != null) browser.close();
    for (ConsoleServer c : new ConsoleServer[] {ops, auditor, proxied}) {
      if (c != null) c.close();
    }
  }

  @Test
  @Order(1)
  void givenTheBackupForm_whenAModuleIsChosen_thenTheBackupRunsLiveToSucceededWithOnlyThatModule()
      throws Exception {
    browser.open(ops.url() + "#/backups");
    browser.awaitText("who", "system:serviceaccount:rayerp:ops");
    browser.find("new-backup").click();
    browser.await(
        "the module map's modules",
        d -> browser.present("module-hr") && browser.present("module-finance"));
    // the template ticks both; this backup takes HR only
    WebElement finance = browser.find("module-finance");
    if (finance.isSelected()) finance.click();
    WebElement hr = browser.find("module-hr");
    if (!hr.isSelected()) hr.click();
    new Select(browser.find("form-type")).selectByValue("Database");
    assertThat(browser.find("form-encrypt").isSelected())
        .as("the template encrypts, so the form does")
        .isTrue();
    browser.screenshot("new-backup");
    browser.find("create-backup").click();
    browser.awaitText("notice", "Backup created");
    Backup created =
        poll(
            () ->
                client.resources(Backup.class).inNamespace(NS).list().getItems().stream()
                    .filter(b -> b.getMetadata().getName().startsWith("erp-nightly-manual-"))
                    .findFirst()
                    .orElse(null));
    manual = created.getMetadata().getName();
    assertThat(created.getSpec().source.mongodb.modules).containsExactly("hr");
    assertThat(created.getSpec().type).hasToString("Database");
    assertThat(created.getSpec().encryption).isNotNull();
    assertThat(created.getMetadata().getAnnotations())
        .containsEntry("coffer.io/created-with", "coffer console")
        // who did it: the API server recorded the console's user, not the console
        .containsEntry(Backup.REQUESTED_BY, "system:serviceaccount:rayerp:ops");
    // the row follows the watch: no reload, no polling
    browser.awaitText("row-" + manual, "Succeeded");
    Backup done = client.resources(Backup.class).inNamespace(NS).withName(manual).get();
    assertThat(done.getStatus().contents.collectionCounts).containsOnlyKeys("erp.employees");
    assertThat(browser.awaitText("row-" + manual, done.getStatus().size).getText())
        .contains("manual");
    browser.await(
        "the shield of an encrypted backup",
        d ->
            !d.findElements(By.cssSelector("[data-test='row-" + manual + "'] [data-test='shield']"))
                .isEmpty());
    browser.awaitText("by-" + manual, "by system:serviceaccount:rayerp:ops");
    // and the history says who did what
    browser.open(ops.url() + "#/logs");
    browser.awaitText("op-by-" + manual, "system:serviceaccount:rayerp:ops");
  }

  @Test
  @Order(2)
  void givenARunningBackup_thenItsProgressShowsWhileItRuns() throws Exception {
    client.resource(OperatorHarness.slowBackup("console-slow", 2)).create();
    browser.open(ops.url() + "#/backups");
    browser.await(
        "a progress bar on the running backup",
        d -> {
          var rows =
              d.findElements(
                  By.cssSelector("[data-test='row-console-slow'] [data-test='progress']"));
          return !rows.isEmpty();
        });
    browser.screenshot("backups-running");
    browser.awaitText("row-console-slow", "Succeeded");
  }

  @Test
  @Order(3)
  void givenAThousandBackups_whenFiltered_thenPagesAndCountsFollow() throws Exception {
    // 1,200 Backups in a namespace the operator does not watch, their status written as the
    // operator would
    List<Backup> made = new ArrayList<>();
    Instant t0 = Instant.parse("2026-10-01T02:00:00Z");
    for (String name : List.of("hourly", "weekly")) {
      BackupSchedule s = new BackupSchedule();
      s.getMetadata().setName(name);
      s.getMetadata().setNamespace(BULK);
      s.setSpec(new BackupScheduleSpec());
      s.getSpec().schedule = name.equals("hourly") ? "@hourly" : "@weekly";
      s.getSpec().template = OperatorHarness.backup("template", "s3").getSpec();
      client.resource(s).create();
    }
    for (int i = 0; i < 1200; i++) {
      Backup b = OperatorHarness.backup(String.format("bulk-%04d", i), "s3");
      b.getMetadata().setNamespace(BULK);
      b.getMetadata().setLabels(Map.of("coffer.io/schedule", i % 2 == 0 ? "hourly" : "weekly"));
      made.add(client.resource(b).create());
    }
    for (int i = 0; i < made.size(); i++) {
      Backup b = made.get(i);
      BackupStatus st = new BackupStatus();
      st.phase = i % 10 == 3 ? Phase.Failed : Phase.Succeeded;
      st.completedAt = t0.plusSeconds(3600L * i).toString();
      st.storedBytes =
          st.phase == Phase.Failed ? null : 40_000_000L + 20_000L * i + (i % 7) * 3_000_000L;
      st.size =
          st.storedBytes == null ? null : String.format("%.1f MiB", st.storedBytes / 1048576.0);
      st.durationSeconds = 40.0 + (i % 13) * 3;
      st.duration = Math.round(st.durationSeconds) + "s";
      st.lastError =
          st.phase == Phase.Failed
              ? "cannot connect to MongoDB at mongodb://***@erp-db:27017"
              : null;
      b.setStatus(st);
      client.resource(b).updateStatus();
    }
    browser.open(ops.url() + "#/backups");
    new Select(browser.find("filter-namespace")).selectByValue(BULK);
    browser.awaitText("page-info", "1–25 of 1200 (page 1 of 48)");
    browser.find("next").click();
    browser.awaitText("page-info", "26–50 of 1200 (page 2 of 48)");
    new Select(browser.find("filter-phase")).selectByValue("Failed");
    browser.awaitText("page-info", "of 120 ");
    new Select(browser.find("filter-schedule")).selectByValue("weekly");
    browser.awaitText("page-info", "1–25 of 120 "); // every failed one is an odd one: weekly
    browser.find("search").sendKeys("bulk-119");
    // bulk-1193 is the only failed weekly one among bulk-119x (i % 10 == 3, odd)
    browser.awaitText("page-info", "1–1 of 1 ");
    assertThat(browser.find("backup-table").getText())
        .contains("bulk-1193")
        .doesNotContain("bulk-1191");
    browser.screenshot("backups-filtered");
  }

  @Test
  @Order(4)
  void givenAFinishedBackup_whenItsLogIsOpened_thenTheJobsWholeLogShows() throws Exception {
    browser.open(ops.url() + "#/backups");
    browser.find("search").sendKeys(manual);
    browser.find("log-" + manual).click();
    Backup b = client.resources(Backup.class).inNamespace(NS).withName(manual).get();
    browser.awaitText("log-state", "the full log of pod " + b.getStatus().jobName);
    browser.awaitText("log", b.getStatus().backupId);
    browser.screenshot("log");
  }

  @Test
  @Order(5)
  void givenTheScheduleForm_whenCreatedSuspendedResumedAndEdited_thenTheSpecFollows()
      throws Exception {
    browser.open(ops.url() + "#/schedules");
    browser.find("new-schedule").click();
    browser.find("form-name").sendKeys("weekly-db");
    new Select(browser.find("form-every")).selectByValue("Weekly");
    new Select(browser.find("form-dow")).selectByValue("Sunday");
    browser.fill("form-tz", "Europe/Berlin");
    browser.fill("form-keeplast", "4");
    browser.await("the module map", d -> browser.present("module-hr"));
    new Select(browser.find("form-type")).selectByValue("Database");
    browser.find("save-schedule").click();
    browser.awaitText("schedule-weekly-db", "Weekly on Sunday at 02:00 (Europe/Berlin)");
    BackupSchedule s =
        client.resources(BackupSchedule.class).inNamespace(NS).withName("weekly-db").get();
    assertThat(s.getSpec().frequency.every).hasToString("Weekly");
    assertThat(s.getSpec().retention.keepLast).isEqualTo(4);
    assertThat(s.getSpec().template.storage.s3.bucket).isEqualTo("backups");
    browser.find("suspend-weekly-db").click();
    browser.awaitText("schedule-weekly-db", "suspended");
    assertThat(
            client
                .resources(BackupSchedule.class)
                .inNamespace(NS)
                .withName("weekly-db")
                .get()
                .getSpec()
                .suspend)
        .isTrue();
    browser.find("resume-weekly-db").click();
    browser.await("resumed", d -> browser.present("suspend-weekly-db"));
    assertThat(
            client
                .resources(BackupSchedule.class)
                .inNamespace(NS)
                .withName("weekly-db")
                .get()
                .getSpec()
                .suspend)
        .isNull();
    browser.find("edit-weekly-db").click();
    WebElement time = browser.find("form-time");
    ((org.openqa.selenium.JavascriptExecutor) browser.driver)
        .executeScript("arguments[0].value = '04:30'", time);
    browser.find("save-schedule").click();
    browser.awaitText("schedule-weekly-db", "at 04:30");
    s = client.resources(BackupSchedule.class).inNamespace(NS).withName("weekly-db").get();
    assertThat(s.getSpec().frequency.time).isEqualTo("04:30");
    assertThat(s.getSpec().frequency.dayOfWeek).hasToString("Sunday");
    assertThat(s.getStatus() == null ? null : s.getStatus().nextScheduleTime)
        .as("the operator computed the next run")
        .isNotNull();
    browser.screenshot("schedules");
  }

  @Test
  @Order(6)
  void givenABackup_whenAReplaceIsPreviewedAndConfirmedByTyping_thenTheRestoreRunsAndItsLogShows()
      throws Exception {
    browser.open(ops.url() + "#/restore?backup=" + manual + "&namespace=" + NS);
    browser.await(
        "the backup chosen",
        d ->
            manual.equals(
                new Select(browser.find("restore-backup"))
                    .getFirstSelectedOption()
                    .getAttribute("value")));
    new Select(browser.find("restore-mode")).selectByValue("Replace");
    browser.find("restore-rename").sendKeys("erp_console");
    browser.fill("restore-secret", "age-key");
    browser.fill("restore-key", "identity");
    browser.find("preview").click();
    browser.awaitText("plan", "erp_console.employees");
    assertThat(browser.all("[data-test='warning']"))
        .as("the warnings before a Replace")
        .hasSizeGreaterThanOrEqualTo(2);
    assertThat(browser.text("[data-test='restore-result']"))
        .contains("Replace drops every selected collection");
    List<Restore> previews =
        client.resources(Restore.class).inNamespace(NS).list().getItems().stream()
            .filter(r -> r.getMetadata().getName().startsWith(manual + "-preview-"))
            .toList();
    assertThat(previews).hasSize(1);
    assertThat(previews.get(0).getSpec().dryRun).isTrue();
    WebElement go = browser.find("start-restore");
    assertThat(go.isEnabled()).as("a Replace waits for the typed name").isFalse();
    browser.find("confirm-text").sendKeys(manual.substring(0, 5));
    assertThat(go.isEnabled()).isFalse();
    browser.find("confirm-text").sendKeys(manual.substring(5));
    assertThat(go.isEnabled()).isTrue();
    browser.screenshot("restore-preview");
    go.click();
    browser.awaitText("restore-run", "Succeeded");
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(OperatorHarness.mongo))) {
      assertThat(c.getDatabase("erp_console").getCollection("employees").countDocuments())
          .isEqualTo(2000);
    }
    Restore real =
        client.resources(Restore.class).inNamespace(NS).list().getItems().stream()
            .filter(r -> r.getMetadata().getName().startsWith(manual + "-restore-"))
            .findFirst()
            .orElseThrow();
    assertThat(real.getSpec().mode).isEqualTo(RestoreSpec.Mode.Replace);
    assertThat(real.getSpec().confirm).isTrue();
    assertThat(real.getSpec().decryption.identity.name).isEqualTo("age-key");
    browser.screenshot("restore-done");
    browser.find("restore-log").click();
    browser.awaitText("log-state", "the full log of pod " + real.getStatus().jobName);
  }

  @Test
  @Order(7)
  void givenAViewer_thenNoActionIsOffered_andTheApiServerRefusesOneForced() throws Exception {
    browser.open(auditor.url() + "#/backups");
    browser.awaitText("who", "system:serviceaccount:rayerp:auditor");
    browser.find("search").sendKeys(manual);
    browser.awaitText("backup-table", manual);
    assertThat(browser.present("new-backup")).isFalse();
    assertThat(browser.all("[data-test^='restore-']")).isEmpty();
    assertThat(browser.all("[data-test^='verify-']")).isEmpty();
    assertThat(browser.all("[data-test^='delete-']")).isEmpty();
    assertThat(browser.all("[data-test^='download-']"))
        .as("asking for a download URL takes patch on backups")
        .isEmpty();
    browser.open(auditor.url() + "#/restore");
    browser.awaitText("no-restore", "You may not restore here");
    browser.open(auditor.url() + "#/schedules");
    browser.awaitText("schedule-weekly-db", "Weekly");
    assertThat(
            browser.all(
                "[data-test^='suspend-'], [data-test^='edit-'], [data-test='new-schedule']"))
        .isEmpty();
    // forced: the console passes the request on as the viewer, and the API server says no
    HttpClient http = HttpClient.newHttpClient();
    String body =
        "{\"backupName\":\""
            + manual
            + "\",\"mode\":\"Merge\",\"decryptionSecret\":\"age-key\",\"decryptionKey\":\"identity\"}";
    HttpResponse<String> forced =
        http.send(
            HttpRequest.newBuilder(URI.create(auditor.url() + "api/namespaces/" + NS + "/restores"))
                .header("X-Coffer-Console", "1")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(forced.statusCode()).isEqualTo(403);
    assertThat(forced.body())
        .contains("system:serviceaccount:rayerp:auditor")
        .contains("cannot create resource \\\"restores\\\"");
    // a page on another site cannot post (no header), and a rebinding name is refused
    HttpResponse<String> csrf =
        http.send(
            HttpRequest.newBuilder(URI.create(ops.url() + "api/namespaces/" + NS + "/restores"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(csrf.statusCode()).isEqualTo(403);
    assertThat(csrf.body()).contains("X-Coffer-Console");
    browser.screenshot("viewer");
  }

  @Test
  @Order(8)
  void givenTheInClusterMode_thenEachRequestActsAsItsBearerToken_andNoTokenIsRefused()
      throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> none =
        http.send(
            HttpRequest.newBuilder(URI.create(proxied.url() + "api/session")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body()).contains("no bearer token");
    HttpResponse<String> asAuditor =
        http.send(
            HttpRequest.newBuilder(URI.create(proxied.url() + "api/session"))
                .header("X-Forwarded-Access-Token", auditorToken)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(asAuditor.statusCode()).isEqualTo(200);
    assertThat(asAuditor.body())
        .contains("\"user\":\"system:serviceaccount:rayerp:auditor\"")
        .contains("\"createRestore\":false")
        .contains("\"listBackups\":true")
        .doesNotContain(auditorToken);
    HttpResponse<String> bad =
        http.send(
            HttpRequest.newBuilder(URI.create(proxied.url() + "api/session"))
                .header("Authorization", "Bearer not-a-token")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).as(bad.body()).isEqualTo(401);
    assertThat(bad.body()).doesNotContain("not-a-token");
  }

  @Test
  @Order(9)
  void theOverviewSaysWhatIsHealthyAndPlotsEachSchedule() throws Exception {
    browser.open(ops.url() + "#/overview");
    browser.awaitText("card-failed", "Failed in the last day");
    browser.await(
        "the plots of the bulk schedules",
        d -> browser.present("plot-hourly") && browser.present("plot-weekly"));
    assertThat(browser.all("[data-test='plot-hourly'] rect"))
        .as("one bar per backup, the last 40")
        .hasSize(40);
    WebElement table = browser.find("health-table");
    assertThat(table.getText()).contains("erp-nightly").contains("weekly-db");
    browser.screenshot("overview");
  }

  @Test
  @Order(10)
  void givenDownload_thenAJobSignsAUrl_andTheBrowsersLinkFetchesTheStoredArchiveExactly()
      throws Exception {
    browser.open(ops.url() + "#/backups");
    browser.find("search").sendKeys(manual);
    browser.find("download-" + manual).click();
    WebElement link = browser.find("download-link-" + manual);
    String href = link.getAttribute("href");
    Backup b = client.resources(Backup.class).inNamespace(NS).withName(manual).get();
    assertThat(b.getStatus().download.result).isEqualTo("Ready");
    assertThat(b.getStatus().download.jobName).isEqualTo(manual + "-share-1");
    assertThat(href)
        .isEqualTo(b.getStatus().download.url)
        .startsWith(EmbeddedServers.endpoint(OperatorHarness.s3));
    assertThat(href).doesNotContain(EmbeddedServers.SECRET_KEY);
    // the link needs no credentials: the bytes are the stored (encrypted) archive, its SHA-256 the
    // one the Backup recorded
    HttpResponse<byte[]> got = fetched(href, b.getStatus().sha256);
    assertThat(new String(got.body(), 0, 21, StandardCharsets.US_ASCII))
        .isEqualTo("age-encryption.org/v1");
    browser.screenshot("download");
  }

  @Test
  @Order(11)
  void givenOnlyAStoredBackupsId_thenItIsRestoredFromStorage_intoAnotherDatabase()
      throws Exception {
    Backup b = client.resources(Backup.class).inNamespace(NS).withName(manual).get();
    browser.open(ops.url() + "#/restore?id=" + b.getStatus().backupId + "&namespace=" + NS);
    browser.await(
        "the storages the schedules and backups use",
        d -> !new Select(browser.find("restore-template")).getOptions().isEmpty());
    assertThat(new Select(browser.find("restore-template")).getFirstSelectedOption().getText())
        .contains("s3://backups/rayerp");
    assertThat(browser.find("restore-id").getAttribute("value")).isEqualTo(b.getStatus().backupId);
    browser.find("restore-rename-from").sendKeys("erp");
    browser.find("restore-rename").sendKeys("erp_byid");
    assertThat(browser.find("claim-uploads").getAttribute("value"))
        .as("the template's claim, offered")
        .isEqualTo("uploads");
    browser.find("claim-uploads").clear(); // this backup holds no file tree
    browser.fill("restore-secret", "age-key");
    browser.fill("restore-key", "identity");
    browser.find("preview").click();
    browser.awaitText("plan", "erp_byid.employees");
    browser.find("start-restore").click();
    browser.awaitText("restore-run", "Succeeded");
    Restore r =
        client.resources(Restore.class).inNamespace(NS).list().getItems().stream()
            .filter(
                x ->
                    x.getSpec().source != null
                        && b.getStatus().backupId.equals(x.getSpec().source.backupId)
                        && !Boolean.TRUE.equals(x.getSpec().dryRun))
            .findFirst()
            .orElseThrow();
    assertThat(r.getSpec().backupName).as("no Backup resource is needed").isNull();
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(OperatorHarness.mongo))) {
      assertThat(c.getDatabase("erp_byid").getCollection("employees").countDocuments())
          .isEqualTo(2000);
    }
    browser.screenshot("restore-by-id");
  }

  /**
   * The oplog archive in the console: the overview shows each schedule's window (a schedule in the
   * namespace the operator does not watch, its status written as the operator would), and the
   * Restore screen's moment becomes the Restore's pointInTime, whose preview says plainly that this
   * storage's archive reaches no such second (the harness's MongoDB keeps no oplog).
   */
  @Test
  @Order(12)
  void givenAScheduleWithAnOplogArchive_thenTheOverviewShowsItsWindow_andARestoreTakesAMoment()
      throws Exception {
    BackupSchedule s = new BackupSchedule();
    s.getMetadata().setName("pitr-view");
    s.getMetadata().setNamespace(BULK);
    s.setSpec(new BackupScheduleSpec());
    s.getSpec().schedule = "@daily";
    s.getSpec().template = OperatorHarness.backup("template", "s3").getSpec();
    s.getSpec().pointInTime = new BackupScheduleSpec.PointInTimeSpec();
    s.getSpec().pointInTime.enabled = true;
    BackupSchedule made = client.resource(s).create();
    made.setStatus(new BackupScheduleStatus());
    var p = new BackupScheduleStatus.PointInTimeStatus();
    p.state = "Running";
    p.recoverableFrom = "2026-12-07T02:00:00Z";
    p.recoverableUntil = "2026-12-07T10:15:00Z";
    var gap = new BackupScheduleStatus.Gap();
    gap.from = "2026-12-07T05:00:00Z";
    gap.to = "2026-12-07T05:10:00Z";
    p.gaps = List.of(gap);
    made.getStatus().pointInTime = p;
    client.resource(made).updateStatus();
    browser.open(ops.url() + "#/overview");
    browser.awaitText("window-pitr-view", "1 gap");
    assertThat(browser.text("[data-test='window-pitr-view']")).contains("→");
    assertThat(browser.text("[data-test='window-erp-nightly']")).isEqualTo("–");

    browser.open(ops.url() + "#/restore?backup=" + manual + "&namespace=" + NS);
    browser.await(
        "the backup chosen",
        d ->
            manual.equals(
                new Select(browser.find("restore-backup"))
                    .getFirstSelectedOption()
                    .getAttribute("value")));
    assertThat(browser.text("[data-test='restore-window']"))
        .contains("empty: the backup's own moment");
    browser.find("restore-until").sendKeys("2026-12-07T11:15:00+01:00");
    browser.find("restore-rename").sendKeys("erp_moment");
    browser.fill("restore-secret", "age-key");
    browser.fill("restore-key", "identity");
    browser.find("preview").click();
    browser.awaitText("plan-error", "no restore reaches 2026-12-07T10:15:00Z");
    Restore preview =
        client.resources(Restore.class).inNamespace(NS).list().getItems().stream()
            .filter(r -> "2026-12-07T10:15:00Z".equals(r.getSpec().pointInTime))
            .findFirst()
            .orElseThrow();
    assertThat(preview.getSpec().dryRun).isTrue();
    assertThat(preview.getStatus().lastError).contains("spec.pointInTime");
    browser.screenshot("restore-moment");
  }

  /**
   * The seed's restore by upload, in real Chromium: a downloaded archive is chosen with the file
   * input, streamed through the console to the URL the operator signs (the console holds no storage
   * credentials), previewed, then restored for real from the same staged file, whose removal
   * follows. A viewer's upload and one past the console's cap are refused before a byte is read.
   * Simulated: the nodes (Job pods run as local processes), S3 (S3Proxy).
   */
  @Test
  @Order(13)
  void givenAnUploadedArchive_thenItIsPreviewedAndRestored_andTheStagedFileRemoved()
      throws Exception {
    Backup b = client.resources(Backup.class).inNamespace(NS).withName(manual).get();
    java.nio.file.Path file =
        java.nio.file.Files.createTempDirectory("coffer-upload").resolve("handed-over.zip.age");
    try (var storage = OperatorHarness.bucket();
        var in =
            storage.open(
                io.coffer.engine.storage.BackupIds.key(
                    b.getStatus().backupId, "archive.zip.age"))) {
      java.nio.file.Files.copy(in, file);
    }
    browser.open(ops.url() + "#/restore?from=upload&namespace=" + NS);
    browser.await(
        "the storages the schedules and backups use",
        d -> !new Select(browser.find("restore-template")).getOptions().isEmpty());
    assertThat(browser.find("restore-file-hint").getText()).contains("5.0 GiB");
    browser.find("restore-file").sendKeys(file.toString());
    browser.find("restore-rename-from").sendKeys("erp");
    browser.find("restore-rename").sendKeys("erp_uploaded_ui");
    browser.fill("restore-secret", "age-key");
    browser.fill("restore-key", "identity");
    browser.find("preview").click();
    browser.awaitText("plan", "erp_uploaded_ui.employees");
    Restore preview =
        client.resources(Restore.class).inNamespace(NS).list().getItems().stream()
            .filter(
                x ->
                    x.getSpec().source != null
                        && x.getSpec().source.upload != null
                        && "handed-over.zip.age".equals(x.getSpec().source.upload.fileName))
            .findFirst()
            .orElseThrow();
    assertThat(preview.getSpec().dryRun).isTrue();
    assertThat(preview.getMetadata().getAnnotations().get("coffer.io/uploaded"))
        .startsWith("sha256:");
    assertThat(preview.getStatus().upload.path).startsWith(".coffer-uploads/");
    browser.find("start-restore").click();
    browser.awaitText("restore-run", "Succeeded");
    Restore real =
        client.resources(Restore.class).inNamespace(NS).list().getItems().stream()
            .filter(
                x ->
                    x.getSpec().source != null
                        && x.getSpec().source.upload != null
                        && preview
                            .getMetadata()
                            .getName()
                            .equals(x.getSpec().source.upload.fromRestore))
            .findFirst()
            .orElseThrow();
    try (MongoClient c = MongoClients.create(EmbeddedServers.uri(OperatorHarness.mongo))) {
      assertThat(c.getDatabase("erp_uploaded_ui").getCollection("employees").countDocuments())
          .isEqualTo(2000);
    }
    browser.screenshot("restore-upload");
    Restore cleaned =
        browser.await(
            "the staged file removed (by the preview's Restore, which uploaded it)",
            d -> {
              Restore x =
                  client
                      .resources(Restore.class)
                      .inNamespace(NS)
                      .withName(preview.getMetadata().getName())
                      .get();
              return x.getStatus().upload != null
                      && Boolean.TRUE.equals(x.getStatus().upload.removed)
                  ? x
                  : null;
            });
    assertThat(cleaned.getStatus().upload.message).isNull();
    assertThat(real.getStatus().upload.path).isEqualTo(preview.getStatus().upload.path);
    assertThat(preview.getStatus().upload.sha256)
        .as("the console announced what it streamed")
        .isEqualTo(RestoreIT.sha256(java.nio.file.Files.readAllBytes(file)));

    // refused before a byte is read: a viewer, and a file past the cap
    HttpResponse<String> viewer = putUpload(auditor, preview.getMetadata().getName());
    assertThat(viewer.statusCode()).isEqualTo(403);
    assertThat(viewer.body()).contains("takes the rights to create and patch Restores");
    ControlPlane cp = OperatorHarness.cluster.controlPlane();
    try (ConsoleServer small =
        new ConsoleServer(
            Users.kubeconfig(cp.client(cp.token(NS, "ops"))),
            new ConsoleServer.Settings(InetAddress.getLoopbackAddress(), 0, List.of(NS), 1024))) {
      HttpResponse<String> big = putUpload(small, preview.getMetadata().getName());
      assertThat(big.statusCode()).isEqualTo(413);
      assertThat(big.body()).contains("more than the 1024 bytes this console accepts");
    }
  }

  /**
   * Download of a backup stored on a volume, in real Chromium: a volume has no URL to sign, so the
   * Download Job's pod serves the archive inside the cluster (a readiness probe says when), and the
   * console passes it on; the bytes the link gives are the stored archive (its recorded SHA-256).
   * Simulated: the nodes (the Job pod is a local process on a free port), the volume (a folder).
   */
  @Test
  @Order(14)
  void givenABackupOnAVolume_thenItsDownloadIsServedByAJobAndPassedOnByTheConsole()
      throws Exception {
    java.nio.file.Path disk = java.nio.file.Files.createTempDirectory("coffer-volume-dl");
    OperatorHarness.cluster.claim(NS, "dl-disk", disk);
    Backup b = OperatorHarness.backup("on-volume", "s3");
    b.getSpec().storage.s3 = null;
    b.getSpec().storage.volume = new io.coffer.api.BackupSpec.VolumeStorage();
    b.getSpec().storage.volume.claimName = "dl-disk";
    client.resource(b).create();
    Backup done =
        OperatorHarness.await(
            "on-volume", x -> x.getStatus() != null && x.getStatus().phase == Phase.Succeeded);
    browser.open(ops.url() + "#/backups");
    browser.find("search").sendKeys("on-volume");
    browser.find("download-on-volume").click();
    WebElement link = browser.find("download-link-on-volume");
    String href = link.getAttribute("href");
    assertThat(href).isEqualTo(ops.url() + "api/namespaces/" + NS + "/backups/on-volume/file");
    Backup ready = client.resources(Backup.class).inNamespace(NS).withName("on-volume").get();
    assertThat(ready.getStatus().download.url)
        .startsWith("http://127.0.0.1:" + OperatorHarness.DOWNLOAD_PORT + "/");
    assertThat(ready.getStatus().download.message).contains("served from the volume");
    HttpResponse<byte[]> got = fetched(href, done.getStatus().sha256);
    assertThat(got.headers().firstValue("Content-Disposition").orElseThrow())
        .contains("on-volume-");
    // an S3 backup downloads from its own URL, never through the console
    HttpResponse<String> s3Backup =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            ops.url() + "api/namespaces/" + NS + "/backups/" + manual + "/file"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(s3Backup.statusCode()).as(s3Backup.body()).isIn(404, 409);
    browser.screenshot("download-volume");
    client.resource(done).delete();
  }

  /** What a download link gives, without credentials: 200 and the bytes of {@code sha256}. */
  static HttpResponse<byte[]> fetched(String href, String sha256) throws Exception {
    HttpResponse<byte[]> got =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(href)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(got.body())))
        .isEqualTo(sha256);
    return got;
  }

  /**
   * 4 KiB PUT to the upload of Restore {@code name} through {@code console}, as its page sends it.
   */
  static HttpResponse<String> putUpload(ConsoleServer console, String name) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create(
                        console.url() + "api/namespaces/" + NS + "/restores/" + name + "/upload"))
                .header("X-Coffer-Console", "1")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[4096]))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
