package io.tidemark.serde.avro;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.serde.avro.compat.CompatibilityChecker;
import io.tidemark.serde.avro.compat.CompatibilityLevel;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Table-driven: each row is a change from V1 to a new schema and the verdict at each level. */
class CompatibilityCheckerTest {
  private static final String V1 = "{\"type\":\"record\",\"name\":\"Order\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"amount\",\"type\":\"int\"}]}";

  private static final String ADD_WITH_DEFAULT = "{\"type\":\"record\",\"name\":\"Order\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"amount\",\"type\":\"int\"},"
      + "{\"name\":\"note\",\"type\":\"string\",\"default\":\"\"}]}";
  private static final String ADD_WITHOUT_DEFAULT = "{\"type\":\"record\",\"name\":\"Order\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"amount\",\"type\":\"int\"},"
      + "{\"name\":\"note\",\"type\":\"string\"}]}";
  private static final String REMOVE_FIELD = "{\"type\":\"record\",\"name\":\"Order\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"long\"}]}";
  private static final String WIDEN_INT = "{\"type\":\"record\",\"name\":\"Order\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"amount\",\"type\":\"long\"}]}";
  private static final String RETYPE = "{\"type\":\"record\",\"name\":\"Order\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"amount\",\"type\":\"string\"}]}";

  private static Schema schema(String name) {
    String json = switch (name) {
      case "add-with-default" -> ADD_WITH_DEFAULT;
      case "add-without-default" -> ADD_WITHOUT_DEFAULT;
      case "remove-field" -> REMOVE_FIELD;
      case "widen-int" -> WIDEN_INT;
      case "retype" -> RETYPE;
      default -> V1;
    };
    return new Schema.Parser().parse(json);
  }

  @ParameterizedTest(name = "{0} at {1}: compatible={2}")
  @CsvSource({
      "add-with-default,    BACKWARD, true",
      "add-with-default,    FORWARD,  true",
      "add-with-default,    FULL,     true",
      "add-without-default, BACKWARD, false",
      "add-without-default, FORWARD,  true",
      "add-without-default, FULL,     false",
      "add-without-default, NONE,     true",
      "remove-field,        BACKWARD, true",
      "remove-field,        FORWARD,  false",
      "widen-int,           BACKWARD, true",
      "widen-int,           FORWARD,  false",
      "retype,              BACKWARD, false",
      "retype,              FORWARD,  false",
      "v1,                  FULL_TRANSITIVE, true",
  })
  void againstOneVersion(String change, CompatibilityLevel level, boolean compatible) {
    CompatibilityChecker.Result r = CompatibilityChecker.check(schema(change), List.of(schema("v1")), level);
    assertThat(r.compatible()).as("%s", r.incompatibilities()).isEqualTo(compatible);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      // against the latest only (remove-field) the new amount is harmless; against v1 it is a retype
      "BACKWARD,            true",
      "BACKWARD_TRANSITIVE, false",
      "FORWARD,             true",
      "FORWARD_TRANSITIVE,  false",
      "FULL,                true",
      "FULL_TRANSITIVE,     false",
      "NONE,                true",
  })
  void transitiveLevelsCheckEveryVersion(CompatibilityLevel level, boolean compatible) {
    // versions: v1 (amount int), then remove-field (no amount); the candidate has amount as string
    Schema candidate = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Order\",\"fields\":["
        + "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"amount\",\"type\":\"string\",\"default\":\"0\"}]}");
    CompatibilityChecker.Result r = CompatibilityChecker.check(candidate, List.of(schema("v1"), schema("remove-field")),
        level);
    assertThat(r.compatible()).as("%s", r.incompatibilities()).isEqualTo(compatible);
  }

  @org.junit.jupiter.api.Test
  void incompatibilitiesSayWhereAndWhy() {
    CompatibilityChecker.Result r = CompatibilityChecker.check(schema("add-without-default"), List.of(schema("v1")),
        CompatibilityLevel.BACKWARD);
    assertThat(r.incompatibilities()).singleElement().satisfies(i -> {
      assertThat(i.type()).isEqualTo("READER_FIELD_MISSING_DEFAULT_VALUE");
      assertThat(i.location()).isEqualTo("/fields/2");
      assertThat(i.message()).contains("note");
      assertThat(i.againstVersion()).isEqualTo(1);
      assertThat(i.toString()).startsWith("backward");
    });
  }
}
