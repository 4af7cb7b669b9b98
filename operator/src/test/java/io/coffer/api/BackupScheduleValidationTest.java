package io.coffer.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.coffer.controller.schedule.ScheduleDecider;
import io.coffer.schedule.Cron;
import io.coffer.testing.CrdValidator;
import io.coffer.testing.Validator;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackupScheduleValidationTest {
  static Validator validator;

  @BeforeAll
  static void load() throws IOException {
    validator = new CrdValidator(Path.of("../api/target/crds/backupschedules.coffer.io-v1.yml"));
  }

  @Test
  void givenEverySampleSchedule_thenItPassesTheSchemaAndCelRules_andItsCronParses()
      throws IOException {
    List<JsonNode> schedules = BackupValidationTest.samples("BackupSchedule");
    assertThat(schedules).hasSizeGreaterThanOrEqualTo(2);
    KubernetesSerialization k8s = new KubernetesSerialization();
    for (JsonNode doc : schedules) {
      assertThat(validator.validate(doc)).as(doc.path("metadata").path("name").asText()).isEmpty();
      BackupSchedule s = k8s.unmarshal(doc.toString(), BackupSchedule.class);
      Cron.parse(ScheduleDecider.cronOf(s.getSpec()));
    }
  }

  static ObjectNode valid() throws IOException {
    return (ObjectNode)
        BackupValidationTest.YAML.readTree(
            """
        apiVersion: coffer.io/v1alpha1
        kind: BackupSchedule
        metadata: {name: s, namespace: ns}
        spec:
          schedule: "0 2 * * *"
          template:
            type: Database
            source: {mongodb: {uriSecret: {name: m, key: uri}}}
            storage: {volume: {claimName: v}}
        """);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      no schedule at all            | /spec/schedule                | ~                                    | set exactly one of schedule
      schedule and frequency        | /spec/frequency               | {"every": "Daily", "time": "02:00"}  | set exactly one of schedule
      four-field cron               | /spec/schedule                | "0 2 * *"                            | should match
      unknown macro                 | /spec/schedule                | "@fortnightly"                       | should match
      bad time of day               | /spec/frequency               | {"every": "Daily", "time": "25:00"}  | should match
      weekly without a day          | /spec/frequency               | {"every": "Weekly", "time": "02:00"} | a Weekly frequency needs dayOfWeek
      monthly without a day         | /spec/frequency               | {"every": "Monthly", "time": "02:00"} | a Monthly frequency needs dayOfMonth
      day 31 of the month           | /spec/frequency               | {"every": "Monthly", "time": "02:00", "dayOfMonth": 31} | less than or equal to 28
      bad concurrency policy        | /spec/concurrencyPolicy       | "Sometimes"                          | Unsupported value: "Sometimes"
      negative deadline             | /spec/startingDeadlineSeconds | -5                                   | greater than or equal to 0
      bad max age                   | /spec/retention               | {"maxAge": "a month"}                | should match
      zero keepLast                 | /spec/retention               | {"keepLast": 0}                      | greater than or equal to 1
      negative failed history       | /spec/retention               | {"failedHistoryLimit": -1}           | greater than or equal to 0
      absurd keepDaily              | /spec/retention               | {"keepDaily": 1000000}               | less than or equal to 10000
      template without type         | /spec/template/type           | ~                                    | spec.template.type: Required value
      template with both storages   | /spec/template/storage/s3     | {"bucket": "bkt", "credentialsSecret": "c"} | set exactly one of storage.s3 and storage.volume
      """)
  void givenAMalformedSchedule_thenItIsRefusedWithAClearMessage(
      String what, String pointer, String value, String expected) throws IOException {
    ObjectNode doc = valid();
    if (pointer.startsWith("/spec/frequency"))
      BackupValidationTest.set(doc, "/spec/schedule", null);
    if (what.equals("schedule and frequency"))
      BackupValidationTest.set(
          doc, "/spec/schedule", BackupValidationTest.YAML.readTree("\"0 2 * * *\""));
    assertThat(validator.validate(valid())).isEmpty();
    BackupValidationTest.set(
        doc, pointer, value.equals("~") ? null : BackupValidationTest.YAML.readTree(value));
    assertThat(validator.validate(doc)).as(what).anyMatch(e -> e.contains(expected));
  }
}
