package io.coffer.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

/**
 * The Argo CD health checks in docs/argocd/*.lua, run by a Lua interpreter (LuaJ) on resources
 * shaped as the operator writes them, the way Argo CD runs them: {@code obj} is the resource, the
 * script returns {status, message}.
 */
class ArgoHealthTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static LuaValue lua(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) return LuaValue.NIL;
    if (n.isObject()) {
      LuaTable t = new LuaTable();
      n.fields().forEachRemaining(e -> t.set(e.getKey(), lua(e.getValue())));
      return t;
    }
    if (n.isArray()) {
      LuaTable t = new LuaTable();
      for (int i = 0; i < n.size(); i++) t.set(i + 1, lua(n.get(i)));
      return t;
    }
    if (n.isBoolean()) return LuaValue.valueOf(n.asBoolean());
    if (n.isNumber()) return LuaValue.valueOf(n.asDouble());
    return LuaValue.valueOf(n.asText());
  }

  /**
   * Runs the health script of {@code kind} on a resource given as YAML; returns "status: message".
   */
  static String health(String kind, String resource) throws Exception {
    Globals g = JsePlatform.standardGlobals();
    g.set("obj", lua(YAML.readTree(resource)));
    LuaValue hs = g.load(Files.readString(Path.of("../docs/argocd/" + kind + ".lua")), kind).call();
    return hs.get("status").tojstring() + ": " + hs.get("message").tojstring();
  }

  @Test
  void givenBackupsInEachPhase_whenArgoAsksForHealth_thenItMapsPhasesAndVerification()
      throws Exception {
    assertThat(health("backup", "kind: Backup\nspec: {type: Full}"))
        .isEqualTo("Progressing: Waiting for the Coffer operator");
    assertThat(
            health(
                "backup",
                "status: {phase: Running, progress: {percent: 42.4, item: erp.invoices}}"))
        .isEqualTo("Progressing: Running: 42% (erp.invoices)");
    assertThat(
            health(
                "backup",
                "status: {phase: Pending, lastError: 'S3 refused the credentials', nextAttemptAt: '2026-11-26T10:00:00Z'}"))
        .isEqualTo(
            "Progressing: Attempt failed (S3 refused the credentials); retrying at 2026-11-26T10:00:00Z");
    assertThat(health("backup", "status: {phase: Succeeded, size: 5.6 MiB, duration: 1.7s}"))
        .isEqualTo("Healthy: Stored 5.6 MiB in 1.7s");
    assertThat(
            health(
                "backup",
                "status: {phase: Succeeded, verification: {result: Failed, message: 'archive.zip.age does not match its checksum'}}"))
        .isEqualTo(
            "Degraded: Stored backup failed verification: archive.zip.age does not match its checksum");
    assertThat(
            health(
                "backup",
                "status: {phase: Failed, lastError: 'MongoDB at mongodb://db:27017 did not answer within 15 s'}"))
        .isEqualTo("Degraded: MongoDB at mongodb://db:27017 did not answer within 15 s");
  }

  @Test
  void givenSchedules_whenArgoAsksForHealth_thenSuspendedInvalidAndHealthyAreTold()
      throws Exception {
    assertThat(health("backupschedule", "spec: {suspend: true}")).startsWith("Suspended:");
    assertThat(
            health(
                "backupschedule",
                "spec: {}\nstatus: {conditions: [{type: Ready, status: 'False', message: \"unknown time zone 'Mars/Base'\"}]}"))
        .isEqualTo("Degraded: unknown time zone 'Mars/Base'");
    assertThat(
            health(
                "backupschedule",
                "spec: {}\nstatus: {nextScheduleTime: '2026-11-27T02:00+01:00', lastSuccessfulBackup: nightly-20261126-0200,"
                    + " conditions: [{type: Ready, status: 'True'}]}"))
        .isEqualTo("Healthy: Next run 2026-11-27T02:00+01:00; last success nightly-20261126-0200");
    assertThat(health("backupschedule", "spec: {}")).startsWith("Progressing:");
  }

  @Test
  void givenRestores_whenArgoAsksForHealth_thenPreviewsWaitsAndFailuresAreTold() throws Exception {
    assertThat(
            health(
                "restore",
                "spec: {dryRun: true}\nstatus: {phase: Succeeded, plan: [{action: replace}, {action: create}]}"))
        .isEqualTo("Healthy: Preview ready: 2 items in status.plan; nothing was changed");
    assertThat(health("restore", "spec: {}\nstatus: {phase: Succeeded, duration: 2.1s}"))
        .isEqualTo("Healthy: Restored in 2.1s");
    assertThat(
            health(
                "restore",
                "spec: {}\nstatus: {phase: Pending, waitingFor: 'Backup nightly-20261126-0200 of the same target'}"))
        .isEqualTo("Progressing: Waiting for Backup nightly-20261126-0200 of the same target");
    assertThat(health("restore", "spec: {}\nstatus: {phase: Failed, lastError: 'wrong key'}"))
        .isEqualTo("Degraded: wrong key");
  }
}
