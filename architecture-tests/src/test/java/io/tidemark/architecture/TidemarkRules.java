package io.tidemark.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaTypeVariable;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.CompositeArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/** The architecture rules every Tidemark module obeys. */
final class TidemarkRules {
  private TidemarkRules() {}

  /** Module directory to module name, so each pom.xml is read once. */
  private static final Map<String, String> MODULE_NAMES = new ConcurrentHashMap<>();

  /**
   * The module a class was loaded from, named by its Maven artifactId, so that a module's classes
   * count as one module whether they come from its build directory ({@code target/classes},
   * {@code target/test-classes}, the jar in {@code target/}) or from its jar in a Maven repository
   * (a build of this module alone takes the other modules' jars from the local repository).
   * A build directory with no {@code pom.xml} beside it is named by its path; any other location
   * by the whole location.
   */
  static String moduleOf(URI location) {
    String s = location.toString();
    if (s.startsWith("jar:")) {
      s = s.substring(4, s.contains("!") ? s.indexOf('!') : s.length());
    }
    String path = URI.create(s).getPath(); // file:/x and file:///x name the same place
    if (path == null) {
      path = s;
    }
    Optional<String> installed = artifactIdOfRepositoryJar(path);
    if (installed.isPresent()) {
      return installed.get();
    }
    int target = path.lastIndexOf("/target/");
    return target >= 0 ? MODULE_NAMES.computeIfAbsent(path.substring(0, target), TidemarkRules::moduleName) : path;
  }

  static Optional<String> moduleOf(JavaClass c) {
    return c.getSource().map(source -> moduleOf(source.getUri()));
  }

  private static String moduleName(String moduleDir) {
    Path dir = Path.of(moduleDir);
    return Files.isRegularFile(dir.resolve("pom.xml")) ? artifactIdOf(dir) : moduleDir;
  }

  /** {@code .../<artifactId>/<version>/<artifactId>-<version>[-<classifier>].jar}, the Maven repository layout. */
  private static Optional<String> artifactIdOfRepositoryJar(String path) {
    String[] parts = path.split("/");
    if (parts.length < 3 || !path.endsWith(".jar")) {
      return Optional.empty();
    }
    String file = parts[parts.length - 1];
    String version = parts[parts.length - 2];
    String artifactId = parts[parts.length - 3];
    // a SNAPSHOT may be stored under its timestamp: 0.1.0-SNAPSHOT/x-0.1.0-20261125.184826-1.jar
    String release = version.endsWith("-SNAPSHOT") ? version.substring(0, version.length() - "-SNAPSHOT".length()) : version;
    return file.startsWith(artifactId + "-" + release) ? Optional.of(artifactId) : Optional.empty();
  }

  /** The {@code <artifactId>} of the module whose {@code pom.xml} is in {@code moduleDir}. */
  static String artifactIdOf(Path moduleDir) {
    Path pom = moduleDir.resolve("pom.xml");
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      Element project = factory.newDocumentBuilder().parse(pom.toFile()).getDocumentElement();
      for (Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
        if (n instanceof Element e && e.getTagName().equals("artifactId")) {
          return e.getTextContent().trim();
        }
      }
      throw new IllegalStateException(pom + " has no <artifactId> of its own");
    } catch (ParserConfigurationException | SAXException e) {
      throw new IllegalStateException("cannot read the artifactId from " + pom, e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the artifactId from " + pom, e);
    }
  }

  private static boolean isScala(JavaClass c) {
    return c.getPackageName().equals("scala") || c.getPackageName().startsWith("scala.");
  }

  private static boolean isTidemarkInternal(JavaClass c) {
    return c.getPackageName().startsWith("io.tidemark.") && c.getPackageName().matches(".*\\.internal(\\..*)?");
  }

  /** No class uses another module's {@code ..internal..} packages. */
  static final ArchRule INTERNAL_STAYS_IN_ITS_MODULE = classes()
      .that().resideInAPackage("io.tidemark..")
      .should(new ArchCondition<JavaClass>("use only their own module's internal packages") {
        @Override
        public void check(JavaClass origin, ConditionEvents events) {
          Optional<String> home = moduleOf(origin);
          for (Dependency d : origin.getDirectDependenciesFromSelf()) {
            JavaClass target = d.getTargetClass();
            if (target.isArray()) { // an array of a class lives where its component does (an enum's values())
              target = target.getBaseComponentType();
            }
            if (!isTidemarkInternal(target)) {
              continue;
            }
            Optional<String> targetHome = moduleOf(target);
            boolean sameModule = home.isPresent() && home.equals(targetHome);
            if (!sameModule) {
              events.add(SimpleConditionEvent.violated(d, d.getDescription() + " reaches into module "
                  + targetHome.orElse("?") + " from " + home.orElse("?")));
            }
          }
        }
      })
      .as("no class uses another module's ..internal.. packages");

  /** Our tests are JUnit 5 only. */
  static final ArchRule NO_JUNIT4 = noClasses()
      .that().resideInAPackage("io.tidemark..")
      .should().dependOnClassesThat().resideInAnyPackage("org.junit", "org.junit.runner..", "org.junit.rules..",
          "org.junit.experimental..", "org.junit.runners..", "org.junit.function..", "org.junit.matchers..",
          "org.junit.internal..", "junit..")
      .as("tests use JUnit 5 (org.junit.jupiter), never JUnit 4");

  private static final DescribedPredicate<JavaMember> PUBLIC_API = new DescribedPredicate<>("public API members") {
    @Override
    public boolean test(JavaMember m) {
      JavaClass owner = m.getOwner();
      boolean visible = m.getModifiers().contains(JavaModifier.PUBLIC) || m.getModifiers().contains(JavaModifier.PROTECTED);
      return visible && owner.getModifiers().contains(JavaModifier.PUBLIC)
          && owner.getPackageName().startsWith("io.tidemark")
          && !owner.getPackageName().matches(".*\\.internal(\\..*)?");
    }
  };

  private static final ArchRule NO_SCALA_IN_PUBLIC_MEMBERS = members()
      .that(PUBLIC_API)
      .should(new ArchCondition<JavaMember>("not mention scala.* types in their signature") {
        @Override
        public void check(JavaMember member, ConditionEvents events) {
          Set<JavaClass> involved = new LinkedHashSet<>();
          if (member instanceof JavaCodeUnit unit) {
            // return type, parameter types and type parameters with their bounds, type arguments included
            involved.addAll(unit.getAllInvolvedRawTypes());
            involved.addAll(unit.getExceptionTypes());
          } else if (member instanceof JavaField field) {
            involved.addAll(field.getType().getAllInvolvedRawTypes());
          }
          for (JavaClass raw : involved) {
            if (isScala(raw)) {
              events.add(SimpleConditionEvent.violated(member, member.getFullName() + " exposes " + raw.getName()));
            }
          }
        }
      });

  private static final ArchRule NO_SCALA_IN_PUBLIC_TYPE_PARAMETERS = classes()
      .that().arePublic().and().resideInAPackage("io.tidemark..").and().resideOutsideOfPackage("..internal..")
      .should(new ArchCondition<JavaClass>("not bound their type parameters by scala.* types") {
        @Override
        public void check(JavaClass c, ConditionEvents events) {
          for (JavaTypeVariable<JavaClass> parameter : c.getTypeParameters()) {
            for (JavaClass raw : parameter.getAllInvolvedRawTypes()) {
              if (isScala(raw)) {
                events.add(SimpleConditionEvent.violated(c, c.getName() + " bounds its type parameter "
                    + parameter.getName() + " by " + raw.getName()));
              }
            }
          }
        }
      });

  /**
   * Public API signatures carry no Scala types (Java first): not in the members' types, not in the
   * bounds of the members' or the classes' type parameters.
   */
  static final ArchRule NO_SCALA_IN_PUBLIC_API = CompositeArchRule.of(NO_SCALA_IN_PUBLIC_MEMBERS)
      .and(NO_SCALA_IN_PUBLIC_TYPE_PARAMETERS)
      .as("public API of io.tidemark has no scala.* types in signatures");

  /** The public classes' supertypes count as signature too. */
  static final ArchRule NO_SCALA_SUPERTYPES_IN_PUBLIC_API = classes()
      .that().arePublic().and().resideInAPackage("io.tidemark..").and().resideOutsideOfPackage("..internal..")
      .should().notBeAssignableTo(new DescribedPredicate<JavaClass>("a scala.* type") {
        @Override
        public boolean test(JavaClass c) {
          return isScala(c);
        }
      })
      .as("public API classes of io.tidemark extend no scala.* type");
}
