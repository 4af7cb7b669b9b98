package io.coffer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.protocol.Field;
import io.coffer.protocol.Purpose;
import org.junit.jupiter.api.Test;

/**
 * A person's words for the engine's field marks: each field has its flag, and the messages read as
 * they did before the marks.
 */
class FlagsTest {
  @Test
  void givenEveryField_thenEveryCommandHasAFlagForIt() {
    for (Field f : Field.values()) {
      for (Purpose p : Purpose.values()) {
        assertThat(Flags.render("give " + f.mark() + " now", p, false))
            .as(f + " in " + p)
            .doesNotContain(String.valueOf(Field.OPEN))
            .startsWith("give ")
            .endsWith(" now")
            .hasSizeGreaterThan("give  now".length());
      }
    }
  }

  @Test
  void givenTheEnginesMessages_thenTheyNameTheFlags() {
    assertThat(
            Flags.render(
                "a full backup needs MongoDB: give "
                    + Field.MONGODB_URI.mark()
                    + " (or use "
                    + Field.TYPE.mark()
                    + " files)",
                Purpose.BACKUP,
                false))
        .isEqualTo(
            "a full backup needs MongoDB: give --mongodb-uri or set COFFER_MONGODB_URI (or use --type files)");
    assertThat(
            Flags.render(
                "cannot read " + Field.MONGODB_URI.mark() + " /x: no such file",
                Purpose.BACKUP,
                true))
        .isEqualTo("cannot read --mongodb-uri-file /x: no such file");
    assertThat(Flags.render("give " + Field.FILES.mark() + " uploads=DIR", Purpose.RESTORE, false))
        .isEqualTo("give --files-target uploads=DIR");
    assertThat(Flags.render("needs at least one " + Field.FILES.mark(), Purpose.BACKUP, false))
        .isEqualTo("needs at least one --files NAME=DIR");
    assertThat(Flags.render("check " + Field.FILES.mark(2), Purpose.BACKUP, false))
        .isEqualTo("check --files");
  }
}
