package io.coffer.engine.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coffer.engine.base.CofferException;
import io.coffer.protocol.Field;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelectionTest {
  static final ModuleMap RAYERP =
      ModuleMap.parse(
          """
      modules:
        hr: [erp.employees, erp.departments]
        finance: [erp.invoices, "erp.ledger_*"]
        system: [erp.settings, "erp.audit_*"]
      """,
          "test");

  @Test
  void givenNoSelection_thenEverythingButSystemDatabasesAndCollectionsIsTaken() {
    Selection s = Selection.all();
    assertThat(s.includes("erp", "employees")).isTrue();
    assertThat(s.includes("admin", "users")).isFalse();
    assertThat(s.includes("local", "oplog.rs")).isFalse();
    assertThat(s.includes("config", "chunks")).isFalse();
    assertThat(s.includes("erp", "system.views")).isFalse();
    assertThat(s.includes("erp", MongoRestorer.STAGING_PREFIX + "ab12_employees")).isFalse();
  }

  @Test
  void givenPatterns_thenIncludesAndExclusionsApplyWithWildcardsAndBareDatabaseNames() {
    Selection s =
        new Selection(
            List.of("erp.*", "!erp.audit_*", "crm"), List.of("erp.tmp?"), List.of(), null);
    assertThat(s.includes("erp", "employees")).isTrue();
    assertThat(s.includes("erp", "audit_log")).isFalse();
    assertThat(s.includes("erp", "tmp1")).isFalse();
    assertThat(s.includes("erp", "tmp12")).isTrue();
    assertThat(s.includes("crm", "contacts")).isTrue();
    assertThat(s.includes("other", "x")).isFalse();
    assertThat(s.includes("erp", "dotted.name")).isTrue();
    assertThat(s.exclude()).containsExactly("erp.tmp?", "erp.audit_*");
  }

  @Test
  void givenModules_thenTheirCollectionsAreTakenAndTaggedInMapOrder() {
    Selection s = new Selection(List.of(), List.of(), List.of("hr", "finance"), RAYERP);
    assertThat(s.includes("erp", "employees")).isTrue();
    assertThat(s.includes("erp", "ledger_2026")).isTrue();
    assertThat(s.includes("erp", "settings")).isFalse();
    assertThat(s.moduleOf("erp", "ledger_2026")).contains("finance");
    assertThat(s.moduleOf("erp", "settings")).isEmpty();
    Selection all = new Selection(List.of("erp"), List.of(), List.of(), RAYERP);
    assertThat(all.moduleOf("erp", "audit_log")).contains("system");
  }

  @Test
  void givenBadModuleInput_thenClearUsageErrors() {
    assertThatThrownBy(() -> new Selection(List.of(), List.of(), List.of("hr"), null))
        .isInstanceOf(CofferException.class)
        .hasMessageContaining(Field.MODULE_MAP.mark());
    assertThatThrownBy(() -> ModuleMap.parse("hr: [a]", "m.yaml"))
        .hasMessageContaining("top-level 'modules:'");
    assertThatThrownBy(() -> ModuleMap.parse("modules:\n  HR!: [a.b]", "m.yaml"))
        .hasMessageContaining("module name 'HR!'");
    assertThatThrownBy(() -> ModuleMap.parse("modules:\n  hr: []", "m.yaml"))
        .hasMessageContaining("at least one collection pattern");
    assertThatThrownBy(() -> ModuleMap.parse("modules: [", "m.yaml"))
        .hasMessageContaining("not valid YAML");
  }

  @Test
  void givenTheShippedRayErpMap_thenItParsesWithTheSixModules() {
    ModuleMap m = ModuleMap.read(Path.of("../samples/rayerp-modules.yaml"));
    assertThat(m.modules())
        .containsOnlyKeys("hr", "projects", "finance", "contacts", "users", "system");
  }

  @Test
  void givenAwkwardCollectionNames_thenDumpFileNamesRoundTrip() {
    for (String name :
        List.of(
            "plain", "dotted.name", "a/b", "100%", "名前", "x:y*z?\"<>|", "back\\slash", "a+b c")) {
      String escaped = DumpNames.escape(name);
      assertThat(escaped).doesNotContain("/").doesNotContain("\\");
      assertThat(DumpNames.unescape(escaped)).isEqualTo(name);
    }
    assertThat(DumpNames.bson("erp", "a/b")).isEqualTo("mongodb/erp/a%2Fb.bson");
    // mongorestore reads names as Go's url.QueryUnescape does ('+' is a space) and takes a
    // database's folder as it is, as mongodump writes it
    assertThat(DumpNames.bson("erp", "a+b")).isEqualTo("mongodb/erp/a%2Bb.bson");
    assertThat(DumpNames.metadata("na:mes", "c")).isEqualTo("mongodb/na:mes/c.metadata.json");
    assertThat(DumpNames.legacy(DumpNames.ROOT, "na:mes", "a+b", ".bson"))
        .isEqualTo("mongodb/na%3Ames/a+b.bson");
    // C0 controls and DEL as mongodump writes them: unzip would drop them from a raw name
    assertThat(DumpNames.bson("erp", "tab\tx")).isEqualTo("mongodb/erp/tab%09x.bson");
    assertThat(DumpNames.bson("erp", "nl\nx\u001b\u007f"))
        .isEqualTo("mongodb/erp/nl%0Ax%1B%7F.bson");
    assertThat(DumpNames.unescape("tab%09x")).isEqualTo("tab\tx");
    // an increment's changes lie beside mongodb/, not in it; archives of early 2026-12 are read
    assertThat(DumpNames.bson(DumpNames.root(true), "erp", "a"))
        .isEqualTo("coffer-changes/erp/a.bson");
    assertThat(DumpNames.accepted(DumpNames.CHANGES, "erp", "tab\tx", ".bson"))
        .contains(
            "coffer-changes/erp/tab%09x.bson",
            "mongodb/erp/tab\tx.bson", "mongodb/erp/tab%09x.bson");
    assertThat(DumpNames.accepted(DumpNames.ROOT, "erp", "tab\tx", ".bson"))
        .contains("mongodb/erp/tab\tx.bson")
        .doesNotContain("coffer-changes/erp/tab%09x.bson");
  }
}
