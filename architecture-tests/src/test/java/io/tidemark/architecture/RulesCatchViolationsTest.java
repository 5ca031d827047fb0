package io.tidemark.architecture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import io.tidemark.archfixtures.api.CleanApi;
import io.tidemark.archfixtures.api.LeaksScala;
import io.tidemark.archfixtures.api.UsesJUnit4;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** Each rule fails on a fixture that breaks it, so none of them can pass vacuously. */
class RulesCatchViolationsTest {

  @Test
  void scalaInAPublicSignatureIsReported() {
    JavaClasses classes = new ClassFileImporter().importClasses(LeaksScala.class);
    assertThatThrownBy(() -> TidemarkRules.NO_SCALA_IN_PUBLIC_API.check(classes))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("LeaksScala.maybe()")
        .hasMessageContaining("scala.Option")
        .hasMessageContaining("LeaksScala.take(scala.collection.immutable.Seq)");
  }

  @Test
  void aCleanApiPasses() {
    JavaClasses classes = new ClassFileImporter().importClasses(CleanApi.class);
    TidemarkRules.NO_SCALA_IN_PUBLIC_API.check(classes);
    TidemarkRules.NO_JUNIT4.check(classes);
  }

  @Test
  void junit4IsReported() {
    JavaClasses classes = new ClassFileImporter().importClasses(UsesJUnit4.class);
    assertThatThrownBy(() -> TidemarkRules.NO_JUNIT4.check(classes))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("org.junit.Assert");
  }

  @Test
  void modulesAreToldApartByTheirBuildDirectory() {
    assertThat(TidemarkRules.moduleOf(URI.create("file:/r/offsets-core/target/classes/")))
        .isEqualTo("/r/offsets-core");
    assertThat(TidemarkRules.moduleOf(URI.create("jar:file:/r/testkit/target/tidemark-testkit-0.1.jar!/io/tidemark/X.class")))
        .isEqualTo("/r/testkit");
    assertThat(TidemarkRules.moduleOf(URI.create("file:///r/testkit/target/test-classes/")))
        .isEqualTo(TidemarkRules.moduleOf(URI.create("file:/r/testkit/target/classes/")));
    assertThat(TidemarkRules.moduleOf(URI.create("file:/r/offsets-core/target/classes/")))
        .isNotEqualTo(TidemarkRules.moduleOf(URI.create("file:/r/offsets-zookeeper/target/classes/")));
  }
}
