package io.coffer.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.coffer.job.JobFactory;
import io.coffer.testing.CrdValidator;
import io.coffer.testing.PodSecurity;
import io.coffer.testing.Validator;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The samples pass the generated CRD's schema and CEL rules; malformed Backups are refused with a
 * clear message.
 */
class BackupValidationTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static Validator validator;

  @BeforeAll
  static void load() throws IOException {
    validator = new CrdValidator(Path.of("../api/target/crds/backups.coffer.io-v1.yml"));
  }

  static List<JsonNode> samples(String kind) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of("../samples"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (YAMLParser parser = new YAMLFactory().createParser(f.toFile())) {
          for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
            if (kind.equals(doc.path("kind").asText())) out.add(doc);
          }
        }
      }
    }
    return out;
  }

  @Test
  void givenEverySampleBackup_thenItPassesTheSchemaAndCelRules_andMakesARestrictedJob()
      throws IOException {
    List<JsonNode> backups = samples("Backup");
    assertThat(backups).hasSizeGreaterThanOrEqualTo(3);
    KubernetesSerialization k8s = new KubernetesSerialization();
    for (JsonNode doc : backups) {
      assertThat(validator.validate(doc)).as(doc.path("metadata").path("name").asText()).isEmpty();
      Backup b = k8s.unmarshal(doc.toString(), Backup.class);
      b.getMetadata().setUid("0b1c2d3e-0000-0000-0000-000000000000");
      Job job = JobFactory.backupJob(b, 1, new JobFactory.Settings("coffer:1", "IfNotPresent"));
      PodSecurity.assertRestricted(job.getSpec().getTemplate().getSpec());
      assertThat(job.getMetadata().getName()).isEqualTo(b.getMetadata().getName() + "-backup-1");
      assertThat(k8s.asJson(job)).doesNotContain("CHANGE-ME");
    }
  }

  static ObjectNode valid() throws IOException {
    return (ObjectNode)
        YAML.readTree(
            """
        apiVersion: coffer.io/v1alpha1
        kind: Backup
        metadata: {name: b, namespace: ns}
        spec:
          type: Full
          source:
            mongodb: {uriSecret: {name: m, key: uri}}
            files: [{name: uploads, claimName: pvc}]
          storage:
            s3: {bucket: backups, credentialsSecret: s3}
        """);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      missing type                 | /spec/type                    | ~                                  | spec.type: Required value
      unknown type                 | /spec/type                    | "Everything"                       | Unsupported value: "Everything"
      database without mongodb     | /spec/source/mongodb          | ~                                  | type Database and Full need source.mongodb
      full without files           | /spec/source/files            | []                                 | need at least one entry in source.files
      no storage at all            | /spec/storage                 | {}                                 | set exactly one of storage.s3 and storage.volume
      both storages                | /spec/storage/volume          | {"claimName": "v"}                 | set exactly one of storage.s3 and storage.volume
      bad bucket name              | /spec/storage/s3/bucket       | "Bad_Bucket"                       | should match
      endpoint without scheme      | /spec/storage/s3/endpoint     | "minio:9000"                       | should match
      missing credentials          | /spec/storage/s3/credentialsSecret | ~                             | credentialsSecret: Required value
      both encryptions             | /spec/encryption              | {"recipients": {"name": "a", "key": "b"}, "passphraseSecret": {"name": "c", "key": "d"}} | set exactly one of encryption.recipients
      empty encryption             | /spec/encryption              | {}                                 | set exactly one of encryption.recipients
      modules without map          | /spec/source/mongodb/modules  | ["hr"]                             | modules need a moduleMap
      bad module name              | /spec/source/mongodb/modules  | ["HR!"]                            | should match
      negative backoff             | /spec/backoffLimit            | -1                                 | greater than or equal to 0
      absurd backoff               | /spec/backoffLimit            | 1000                               | less than or equal to 10
      short deadline               | /spec/activeDeadlineSeconds   | 5                                  | greater than or equal to 60
      bad ttl                      | /spec/ttl                     | "thirty days"                      | should match
      level out of range           | /spec/compression             | {"method": "deflate", "level": 12} | less than or equal to 9
      unknown compression          | /spec/compression             | {"method": "zstd"}                 | Unsupported value: "zstd"
      bad tree name                | /spec/source/files/0/name     | "up loads"                         | should match
      wrong type for backoff       | /spec/backoffLimit            | "two"                              | must be of type integer
      secret name with spaces      | /spec/source/mongodb/uriSecret/name | "my secret"                  | should match
      incremental without chain    | /spec/type                    | "Incremental"                      | type Incremental needs chain.indexKeySecret
      parent on a full backup      | /spec/chain                   | {"indexKeySecret": {"name": "k", "key": "key"}, "parent": "b0"} | chain.parent goes with type Incremental
      chain without index key      | /spec/chain                   | {}                                 | indexKeySecret: Required value
      bad chain parent name        | /spec/chain                   | {"indexKeySecret": {"name": "k", "key": "key"}, "parent": "Not A Name"} | should match
      zero upload limit            | /spec/storage/uploadLimitMiBps | 0                                 | greater than or equal to 1
      volume without claim         | /spec/source/files/0/claimName | ~                                 | claimName: Required value
      deep check without key       | /spec/verification            | {"deep": true}                     | deep verification needs verification.identity
      """)
  void givenAMalformedBackup_thenTheSchemaOrACelRuleRefusesItWithAClearMessage(
      String what, String pointer, String value, String expected) throws IOException {
    ObjectNode doc = valid();
    assertThat(validator.validate(doc)).as("the base document is valid").isEmpty();
    set(doc, pointer, value.equals("~") ? null : YAML.readTree(value));
    assertThat(validator.validate(doc)).as(what).anyMatch(e -> e.contains(expected));
  }

  @Test
  void givenACreatedBackup_whenItsSpecChanges_thenTheUpdateIsRefused() throws IOException {
    ObjectNode old = valid();
    ObjectNode changed = valid();
    ((ObjectNode) changed.get("spec")).put("type", "Database");
    assertThat(validator.validateUpdate(old, changed))
        .anyMatch(e -> e.contains("its spec cannot change"));
    assertThat(validator.validateUpdate(old, valid())).isEmpty();
  }

  static void set(ObjectNode root, String pointer, JsonNode value) {
    String[] parts = pointer.substring(1).split("/");
    JsonNode node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode next = node.isArray() ? node.get(Integer.parseInt(parts[i])) : node.get(parts[i]);
      if (next == null) {
        next = YAML.createObjectNode();
        ((ObjectNode) node).set(parts[i], next);
      }
      node = next;
    }
    String last = parts[parts.length - 1];
    if (value == null) ((ObjectNode) node).remove(last);
    else ((ObjectNode) node).set(last, value);
  }
}
