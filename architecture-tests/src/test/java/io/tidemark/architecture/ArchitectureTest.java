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
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks every module's main classes (from this module's classpath: the reactor's jars, or the
 * local repository's when this module is built alone) and every module's compiled tests (from
 * each sibling's {@code target/test-classes}).
 */
class ArchitectureTest {

  private static Path root;
  private static JavaClasses main;
  private static JavaClasses tests;
  private static List<Path> modulesWithTests;

  @BeforeAll
  static void importClasses() {
    root = Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();
    assertThat(root.resolve("architecture-tests"))
        .as("tidemark.root names the reactor root")
        .isDirectory();
    main = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(location -> !location.contains("/architecture-tests/"))
        .importPackages("io.tidemark");
    modulesWithTests = siblingsWith("src/test/java");
    for (Path m : modulesWithTests) {
      assertThat(m.resolve("target/test-classes"))
          .as("compiled tests of %s (build the whole reactor: mvn verify from the root)", m.getFileName())
          .isDirectory();
    }
    tests = new ClassFileImporter()
        .importPaths(modulesWithTests.stream().map(m -> m.resolve("target/test-classes")).collect(Collectors.toList()));
  }

  /** The sibling modules (this one excluded) that have the directory {@code relative}. */
  private static List<Path> siblingsWith(String relative) {
    try (Stream<Path> modules = Files.list(root)) {
      return modules
          .filter(m -> Files.isDirectory(m.resolve(relative)))
          .filter(m -> !m.getFileName().toString().equals("architecture-tests"))
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Set<String> modulesOf(JavaClasses classes) {
    return classes.stream().map(TidemarkRules::moduleOf).flatMap(Optional::stream).collect(Collectors.toSet());
  }

  /** Every module with {@code src/main/java} is a test dependency of this module, or the rules never see its code. */
  @Test
  void importsEveryModuleWithCode() {
    Set<String> imported = modulesOf(main);
    List<String> withCode = siblingsWith("src/main/java").stream()
        .map(TidemarkRules::artifactIdOf)
        .collect(Collectors.toList());
    assertThat(withCode).as("modules with src/main/java").isNotEmpty();
    List<String> missing = withCode.stream()
        .filter(artifactId -> !imported.contains(artifactId))
        .map(artifactId -> "<dependency><groupId>io.tidemark</groupId><artifactId>" + artifactId
            + "</artifactId><scope>test</scope></dependency>")
        .collect(Collectors.toList());
    assertThat(missing)
        .as("modules with src/main/java whose main classes were not imported: add each to the dependencies of architecture-tests/pom.xml")
        .isEmpty();
  }

  /** Every module with {@code src/test/java} contributed its compiled tests. */
  @Test
  void importsEveryModuleWithTests() {
    Set<String> imported = modulesOf(tests);
    assertThat(modulesWithTests.stream().map(TidemarkRules::artifactIdOf))
        .as("modules with src/test/java, each with compiled tests imported from target/test-classes")
        .isNotEmpty()
        .allMatch(imported::contains);
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
