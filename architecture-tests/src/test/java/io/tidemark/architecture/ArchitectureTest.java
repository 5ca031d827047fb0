package io.tidemark.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks every module's main classes (from this module's classpath, so the reactor's jars) and
 * every module's compiled tests (from each sibling's {@code target/test-classes}).
 */
class ArchitectureTest {

  private static JavaClasses main;
  private static JavaClasses tests;
  private static List<Path> testDirs;

  @BeforeAll
  static void importClasses() {
    main = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(location -> !location.contains("/architecture-tests/"))
        .importPackages("io.tidemark");
    Path root = Path.of(System.getProperty("tidemark.root", ".."));
    testDirs = modulesWithTests(root);
    tests = new ClassFileImporter().importPaths(testDirs);
  }

  /**
   * Each sibling module with {@code src/test/java} must have compiled its tests: run this module
   * in the reactor ({@code mvn verify} from the root) so that they exist.
   */
  private static List<Path> modulesWithTests(Path root) {
    try (Stream<Path> modules = Files.list(root)) {
      List<Path> withTests = modules
          .filter(m -> Files.isDirectory(m.resolve("src/test/java")))
          .filter(m -> !m.getFileName().toString().equals("architecture-tests"))
          .collect(Collectors.toList());
      for (Path m : withTests) {
        assertThat(m.resolve("target/test-classes"))
            .as("compiled tests of %s (build the whole reactor: mvn verify from the root)", m.getFileName())
            .isDirectory();
      }
      return withTests.stream().map(m -> m.resolve("target/test-classes")).collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void importsEveryModuleWithCode() {
    assertThat(main.stream().map(c -> TidemarkRules.moduleOf(c).orElse("?")).distinct()
        .map(m -> m.substring(m.lastIndexOf('/') + 1)))
        .contains("testkit");
    assertThat(tests.contain("io.tidemark.testkit.KafkaBrokerIT")).isTrue();
  }

  @Test
  void internalPackagesStayInTheirModule() {
    TidemarkRules.INTERNAL_STAYS_IN_ITS_MODULE.check(main);
    TidemarkRules.INTERNAL_STAYS_IN_ITS_MODULE.check(tests);
  }

  @Test
  void testsUseJUnit5Only() {
    TidemarkRules.NO_JUNIT4.check(tests);
  }

  @Test
  void publicApiHasNoScalaTypes() {
    TidemarkRules.NO_SCALA_IN_PUBLIC_API.check(main);
    TidemarkRules.NO_SCALA_SUPERTYPES_IN_PUBLIC_API.check(main);
  }
}
