package io.tidemark.architecture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import io.tidemark.archfixtures.api.CleanApi;
import io.tidemark.archfixtures.api.ExtendsScalaAbstractFunction;
import io.tidemark.archfixtures.api.ImplementsScalaFunction;
import io.tidemark.archfixtures.api.LeaksScala;
import io.tidemark.archfixtures.api.ScalaInTypeParameterBounds;
import io.tidemark.archfixtures.api.UsesJUnit4;
import io.tidemark.archfixtures.api.UsesOwnInternal;
import io.tidemark.archfixtures.api.UsesTestkitInternal;
import io.tidemark.archfixtures.internal.Helper;
import io.tidemark.testkit.internal.Ports;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
  void scalaInATypeParameterBoundIsReported() {
    JavaClasses classes = new ClassFileImporter().importClasses(ScalaInTypeParameterBounds.class);
    assertThatThrownBy(() -> TidemarkRules.NO_SCALA_IN_PUBLIC_API.check(classes))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("ScalaInTypeParameterBounds.count(java.util.List) exposes scala.Function0")
        .hasMessageContaining("ScalaInTypeParameterBounds bounds its type parameter T by scala.Product");
  }

  @ParameterizedTest
  @ValueSource(classes = {ImplementsScalaFunction.class, ExtendsScalaAbstractFunction.class})
  void aScalaSupertypeIsReported(Class<?> fixture) {
    JavaClasses classes = new ClassFileImporter().importClasses(fixture);
    assertThatThrownBy(() -> TidemarkRules.NO_SCALA_SUPERTYPES_IN_PUBLIC_API.check(classes))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Class <" + fixture.getName() + "> is assignable to a scala.* type");
  }

  @Test
  void aCleanApiPasses() {
    JavaClasses classes = new ClassFileImporter().importClasses(CleanApi.class);
    TidemarkRules.NO_SCALA_IN_PUBLIC_API.check(classes);
    TidemarkRules.NO_SCALA_SUPERTYPES_IN_PUBLIC_API.check(classes);
    TidemarkRules.INTERNAL_STAYS_IN_ITS_MODULE.check(classes);
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
  void anotherModulesInternalPackageIsReported() {
    JavaClasses classes = new ClassFileImporter().importClasses(UsesTestkitInternal.class, Ports.class);
    assertThat(TidemarkRules.moduleOf(classes.get(UsesTestkitInternal.class))).contains("tidemark-architecture-tests");
    assertThat(TidemarkRules.moduleOf(classes.get(Ports.class))).contains("tidemark-testkit");
    assertThatThrownBy(() -> TidemarkRules.INTERNAL_STAYS_IN_ITS_MODULE.check(classes))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("<" + UsesTestkitInternal.class.getName() + ".port()> calls method <"
            + Ports.class.getName() + ".freeLoopbackPort()>")
        .hasMessageContaining("reaches into module tidemark-testkit from tidemark-architecture-tests");
  }

  @Test
  void theOwnModulesInternalPackageIsAllowed() {
    JavaClasses classes = new ClassFileImporter().importClasses(UsesOwnInternal.class, Helper.class);
    assertThat(classes.get(UsesOwnInternal.class).getDirectDependenciesFromSelf())
        .as("the fixture really uses the internal class")
        .anyMatch(d -> d.getTargetClass().isEquivalentTo(Helper.class));
    TidemarkRules.INTERNAL_STAYS_IN_ITS_MODULE.check(classes);
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

  @Test
  void aModuleIsOneModuleInItsBuildDirectoryAndInARepository() {
    Path root = Path.of(System.getProperty("tidemark.root", ".."));
    String installed = "jar:file:/home/u/.m2/repository/io/tidemark/tidemark-testkit/0.1.0-SNAPSHOT/"
        + "tidemark-testkit-0.1.0-SNAPSHOT.jar!/io/tidemark/testkit/internal/Ports.class";
    assertThat(TidemarkRules.moduleOf(URI.create(installed))).isEqualTo("tidemark-testkit");
    assertThat(TidemarkRules.moduleOf(URI.create("jar:file:/m2/io/tidemark/tidemark-testkit/0.1.0-SNAPSHOT/"
        + "tidemark-testkit-0.1.0-20261125.184826-1.jar!/io/tidemark/X.class"))).isEqualTo("tidemark-testkit");
    assertThat(TidemarkRules.moduleOf(root.resolve("testkit/target/test-classes/io/tidemark/testkit/X.class").toUri()))
        .isEqualTo("tidemark-testkit");
    assertThat(TidemarkRules.moduleOf(root.resolve("testkit/target/tidemark-testkit-0.1.0-SNAPSHOT.jar").toUri()))
        .isEqualTo("tidemark-testkit");
    assertThat(TidemarkRules.moduleOf(root.resolve("offsets-core/target/classes/io/tidemark/offsets/X.class").toUri()))
        .isEqualTo("tidemark-offsets-core");
  }
}
