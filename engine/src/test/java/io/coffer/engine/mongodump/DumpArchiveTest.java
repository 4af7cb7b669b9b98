package io.coffer.engine.mongodump;

import static org.assertj.core.api.Assertions.assertThat;

import io.coffer.testing.MongodumpFixtures;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonBoolean;
import org.bson.BsonDbPointer;
import org.bson.BsonDecimal128;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonJavaScriptWithScope;
import org.bson.BsonMinKey;
import org.bson.BsonObjectId;
import org.bson.BsonRegularExpression;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/** The archive's checksum and the folder's names, against values that do not come from Coffer. */
class DumpArchiveTest {
  @Test
  void givenTheCatalogueCheckString_whenSummed_thenItIsCrc64XzsCheckValueAsGoComputesIt() {
    // CRC-64/XZ check value from the CRC catalogue; Go's crc64.Checksum([]byte("123456789"),
    // crc64.MakeTable(crc64.ECMA)) printed the same
    Crc64 c = new Crc64();
    c.update("123456789".getBytes(StandardCharsets.US_ASCII));
    assertThat(c.value()).isEqualTo(0x995DC9BBDF1939FAL);
    Crc64 split = new Crc64();
    split.update("1234".getBytes(StandardCharsets.US_ASCII));
    split.update("56789".getBytes(StandardCharsets.US_ASCII));
    assertThat(split.value()).isEqualTo(c.value());
    assertThat(new Crc64().value()).isZero();
    assertThat(MongodumpFixtures.crc64(0, "123456789".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(c.value()); // the fixtures' own sum
  }

  @Test
  void givenMongodumpFileNames_whenUnescaped_thenTheyAreGoPathUnescapes() throws Exception {
    assertThat(PathNames.unescape("caf%C3%A9s"))
        .isEqualTo("cafés"); // mongo-tools' testdata specialcharacter/db1
    assertThat(PathNames.unescape("a%2Fb+c$d")).isEqualTo("a/b+c$d");
    assertThat(PathNames.unescape("100%")).isNull();
    // what Go 1.26's url.PathEscape printed for this name (the fixtures escape as mongodump does)
    assertThat(MongodumpFixtures.pathEscape("a/b café ✓ $&+:=@~"))
        .isEqualTo("a%2Fb%20caf%C3%A9%20%E2%9C%93%20$&+:=@~");
    assertThat(PathNames.unescape("a%2Fb%20caf%C3%A9%20%E2%9C%93%20$&+:=@~"))
        .isEqualTo("a/b café ✓ $&+:=@~");
    assertThat(PathNames.unescape("1%zz")).isNull();
    String base = MongodumpFixtures.baseName("report " + "✓".repeat(40));
    assertThat(base).hasSize(238).contains("%24");
    assertThat(PathNames.truncated(base)).isTrue();
    assertThat(PathNames.truncated("employees")).isFalse();
  }

  @Test
  void
      givenDocumentsOfEveryShape_whenValidated_thenWellFormedOnesPass_andBrokenInsidesAreRefused() {
    BsonDocument d =
        new BsonDocument("_id", new BsonObjectId(new ObjectId()))
            .append(
                "scope",
                new BsonJavaScriptWithScope(
                    "function(){return x;}", new BsonDocument("x", new BsonInt32(1))))
            .append(
                "nested",
                new BsonArray(
                    List.of(
                        new BsonDocument(
                            "a",
                            new BsonArray(
                                List.of(
                                    new BsonDecimal128(Decimal128.parse("1.5")),
                                    new BsonDbPointer("x.y", new ObjectId())))))))
            .append("regex", new BsonRegularExpression("^a", "i"))
            .append("min", new BsonMinKey())
            .append("ts", new BsonTimestamp(1, 2))
            .append("bin", new BsonBinary(new byte[] {1, 2}))
            .append("s", new BsonString("héllo"));
    byte[] good = MongodumpFixtures.bson(d);
    DumpDocuments.validate(good, "erp.x", 0);
    byte[] bad = good.clone();
    bad[good.length - 2] =
        0x13; // the last string's NUL becomes a character: the string runs to the document's end
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> DumpDocuments.validate(bad, "erp.x", 6))
        .hasMessageContaining("document 7 of erp.x in the dump is malformed BSON");
    // a boolean that is neither 0 nor 1; an element type that does not exist; a sub-document longer
    // than it says
    byte[] bool = MongodumpFixtures.bson(new BsonDocument("b", BsonBoolean.TRUE));
    bool[bool.length - 2] = 7;
    byte[] type = MongodumpFixtures.bson(new BsonDocument("b", BsonBoolean.TRUE));
    type[4] = 0x42;
    byte[] sub =
        MongodumpFixtures.bson(
            new BsonDocument("d", new BsonDocument("x", new BsonInt32(1)))
                .append("y", new BsonInt32(2)));
    sub[4 + 1 + 2] -= 1; // the sub-document's declared length, one byte short of its content
    byte[] pointer =
        MongodumpFixtures.bson(new BsonDocument("p", new BsonDbPointer("a.b", new ObjectId())));
    pointer[4 + 1 + 2 + 4 + 3] = 'x'; // the namespace's NUL
    for (byte[] b : List.of(bool, type, sub, pointer)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> DumpDocuments.validate(b, "erp.x", 0))
          .hasMessageContaining("malformed BSON");
    }
  }
}
