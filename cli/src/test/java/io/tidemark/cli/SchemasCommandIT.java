package io.tidemark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.testkit.SchemaRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The {@code tidemark schemas} commands against a real registry: output and exit codes. */
class SchemasCommandIT {
  @RegisterExtension
  static final SchemaRegistry registry = SchemaRegistry.builder().compatibility("BACKWARD").build();

  @TempDir
  Path dir;

  private static final String V1 = "{\"type\":\"record\",\"name\":\"Shipment\",\"namespace\":\"t\",\"fields\":["
      + "{\"name\":\"orderId\",\"type\":\"string\"},{\"name\":\"quantity\",\"type\":\"int\"}]}";
  private static final String V2 = "{\"type\":\"record\",\"name\":\"Shipment\",\"namespace\":\"t\",\"fields\":["
      + "{\"name\":\"orderId\",\"type\":\"string\"},{\"name\":\"quantity\",\"type\":\"int\"},"
      + "{\"name\":\"carrier\",\"type\":[\"null\",\"string\"],\"default\":null}]}";
  private static final String V3 = "{\"type\":\"record\",\"name\":\"Shipment\",\"namespace\":\"t\",\"fields\":["
      + "{\"name\":\"orderId\",\"type\":\"string\"},{\"name\":\"quantity\",\"type\":\"string\"}]}";

  static Cli.Run tidemark(String... args) {
    return Cli.tidemark(args);
  }

  private Path file(String name, String json) throws Exception {
    return Files.writeString(dir.resolve(name), json);
  }

  @Test
  void registerListGetCheckAndDiff() throws Exception {
    String url = registry.baseUrl();
    Cli.Run r1 = tidemark("schemas", "register", "--registry", url, "--subject", "ships-value", "--schema",
        file("v1.avsc", V1).toString());
    assertThat(r1.code()).as(r1.err()).isZero();
    assertThat(r1.out()).contains("registered").contains("under ships-value: id ");
    registry.setCompatibility("ships-value", "BACKWARD");
    Cli.Run check2 = tidemark("schemas", "check", "--registry", url, "--subject", "ships-value", "--schema",
        file("v2.avsc", V2).toString());
    assertThat(check2.code()).as(check2.out() + check2.err()).isZero();
    assertThat(check2.out()).contains("compatible:", "at BACKWARD");
    assertThat(tidemark("schemas", "register", "--registry", url, "--subject", "ships-value", "--schema",
        dir.resolve("v2.avsc").toString()).code()).isZero();

    Cli.Run subjects = tidemark("schemas", "subjects", "--registry", url);
    assertThat(subjects.out().lines()).contains("ships-value");
    Cli.Run versions = tidemark("schemas", "versions", "--registry", url, "--subject", "ships-value", "--json");
    assertThat(new ObjectMapper().readTree(versions.out())).hasSize(2);
    Cli.Run get = tidemark("schemas", "get", "--registry", url, "--subject", "ships-value", "--version", "1");
    assertThat(get.out()).contains("\"quantity\"").doesNotContain("carrier");

    Cli.Run check3 = tidemark("schemas", "check", "--registry", url, "--subject", "ships-value", "--schema",
        file("v3.avsc", V3).toString(), "--level", "BACKWARD_TRANSITIVE");
    assertThat(check3.code()).as("incompatible").isEqualTo(ExitCodes.NO);
    assertThat(check3.out()).contains("INCOMPATIBLE at BACKWARD_TRANSITIVE", "TYPE_MISMATCH", "/fields/1/type");
    assertThat(check3.out().lines().filter(l -> l.contains("TYPE_MISMATCH"))).as("against v1 and v2").hasSize(2);

    Cli.Run diff = tidemark("schemas", "diff", "--registry", url, "--subject", "ships-value", "--from", "1");
    assertThat(diff.code()).isZero();
    assertThat(diff.out()).contains("version 1 -> 2").containsPattern("added\\s+carrier\\s+-\\s+\\[\"null\",\"string\"\\] default null");

    Cli.Run missing = tidemark("schemas", "versions", "--registry", url, "--subject", "nobody-value");
    assertThat(missing.code()).isEqualTo(ExitCodes.NOT_FOUND);
    Cli.Run refused = tidemark("schemas", "register", "--registry", url, "--subject", "ships-value", "--schema",
        dir.resolve("v3.avsc").toString());
    assertThat(refused.code()).as("the registry refuses an incompatible schema").isEqualTo(ExitCodes.NO);
    assertThat(refused.err()).startsWith("tidemark: ");
  }
}
