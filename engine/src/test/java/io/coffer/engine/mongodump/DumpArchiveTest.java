package io.coffer.engine.mongodump;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import io.coffer.testing.MongodumpFixtures;
import org.junit.jupiter.api.Test;

/** The archive's checksum and the folder's names, against values that do not come from Coffer. */
class DumpArchiveTest {
  @Test
  void givenTheCatalogueCheckString_whenSummed_thenItIsCrc64XzsCheckValueAsGoComputesIt() {
    // CRC-64/XZ check value from the CRC catalogue; Go's crc64.Checksum([]byte("123456789"), crc64.MakeTable(crc64.ECMA)) printed the same
    Crc64 c = new Crc64();
    c.update("123456789".getBytes(StandardCharsets.US_ASCII));
    assertThat(c.value()).isEqualTo(0x995DC9BBDF1939FAL);
    Crc64 split = new Crc64();
    split.update("1234".getBytes(StandardCharsets.US_ASCII));
    split.update("56789".getBytes(StandardCharsets.US_ASCII));
    assertThat(split.value()).isEqualTo(c.value());
    assertThat(new Crc64().value()).isZero();
    assertThat(MongodumpFixtures.crc64(0, "123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(c.value()); // the fixtures' own sum
  }

  @Test
  void givenMongodumpFileNames_whenUnescaped_thenTheyAreGoPathUnescapes() throws Exception {
    assertThat(PathNames.unescape("caf%C3%A9s")).isEqualTo("cafés"); // mongo-tools' testdata specialcharacter/db1
    assertThat(PathNames.unescape("a%2Fb+c$d")).isEqualTo("a/b+c$d");
    assertThat(PathNames.unescape("100%")).isNull();
    // what Go 1.26's url.PathEscape printed for this name (the fixtures escape as mongodump does)
    assertThat(MongodumpFixtures.pathEscape("a/b café ✓ $&+:=@~")).isEqualTo("a%2Fb%20caf%C3%A9%20%E2%9C%93%20$&+:=@~");
    assertThat(PathNames.unescape("a%2Fb%20caf%C3%A9%20%E2%9C%93%20$&+:=@~")).isEqualTo("a/b café ✓ $&+:=@~");
    assertThat(PathNames.unescape("1%zz")).isNull();
    String base = MongodumpFixtures.baseName(DumpRestoreIT.LONG);
    assertThat(base).hasSize(238).contains("%24");
    assertThat(PathNames.truncated(base)).isTrue();
    assertThat(PathNames.truncated("employees")).isFalse();
  }
}
