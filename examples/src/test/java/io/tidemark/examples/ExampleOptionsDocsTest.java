package io.tidemark.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidemark.testkit.GeneratedDocs;
import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docs/configuration/examples.md is generated from each example's declared options; this fails when it is stale. */
class ExampleOptionsDocsTest {

  @SuppressWarnings("unchecked")
  private static Map<String, String> options(String className) throws Exception {
    Field f = Class.forName(className).getDeclaredField("OPTIONS");
    f.setAccessible(true);
    return (Map<String, String>) f.get(null);
  }

  @Test
  void theCommittedReferenceMatchesTheDeclaredOptions() throws Exception {
    Map<String, String> programs = new LinkedHashMap<>();
    programs.put("bin/demo", "io.tidemark.examples.demo.Demo");
    programs.put("DashboardJob", "io.tidemark.examples.dashboard.DashboardJob");
    programs.put("StructuredDashboardJob", "io.tidemark.examples.dashboard.StructuredDashboardJob");
    programs.put("FraudDetectionJob", "io.tidemark.examples.fraud.FraudDetectionJob");
    programs.put("SchemaEvolutionJob", "io.tidemark.examples.evolution.SchemaEvolutionJob");
    programs.put("EvolvingProducer", "io.tidemark.examples.evolution.EvolvingProducer");
    StringBuilder doc = new StringBuilder("# Options of the demo and the example jobs\n\n"
        + "Generated from each program's declared options; do not edit by hand. Every program also takes `--help`.\n"
        + "See [examples.md](../examples.md) for what each one does.\n");
    for (Map.Entry<String, String> p : programs.entrySet()) {
      doc.append("\n## `").append(p.getKey()).append("`\n\n| option | description |\n|---|---|\n");
      options(p.getValue()).forEach((name, description) -> doc.append("| `--").append(name).append("` | ")
          .append(description.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")).append(" |\n"));
    }
    String fresh = doc.toString();
    assertThat(fresh).contains("| `--store` | where offsets live").contains("| `--bootstrap` | (required)");
    GeneratedDocs.assertCurrent("configuration/examples.md", fresh);
  }
}
