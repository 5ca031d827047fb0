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
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The architecture rules every Tidemark module obeys. */
final class TidemarkRules {
  private TidemarkRules() {}

  /**
   * The module a class was loaded from: the path up to {@code /target/} of its jar or classes
   * directory, or the whole location when there is none (a jar from a repository).
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
    int target = path.lastIndexOf("/target/");
    return target >= 0 ? path.substring(0, target) : path;
  }

  static Optional<String> moduleOf(JavaClass c) {
    return c.getSource().map(source -> moduleOf(source.getUri()));
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

  /** Public API signatures carry no Scala types (Java first). */
  static final ArchRule NO_SCALA_IN_PUBLIC_API = members()
      .that(PUBLIC_API)
      .should(new ArchCondition<JavaMember>("not mention scala.* types in their signature") {
        @Override
        public void check(JavaMember member, ConditionEvents events) {
          List<JavaType> types = new ArrayList<>();
          if (member instanceof JavaCodeUnit unit) {
            types.add(unit.getReturnType());
            types.addAll(unit.getParameterTypes());
            types.addAll(unit.getExceptionTypes());
          } else if (member instanceof JavaField field) {
            types.add(field.getType());
          }
          for (JavaType type : types) {
            for (JavaClass raw : type.getAllInvolvedRawTypes()) {
              if (raw.getPackageName().equals("scala") || raw.getPackageName().startsWith("scala.")) {
                events.add(SimpleConditionEvent.violated(member, member.getFullName() + " exposes " + raw.getName()));
              }
            }
          }
        }
      })
      .as("public API of io.tidemark has no scala.* types in signatures");

  /** The public classes' supertypes count as signature too. */
  static final ArchRule NO_SCALA_SUPERTYPES_IN_PUBLIC_API = classes()
      .that().arePublic().and().resideInAPackage("io.tidemark..").and().resideOutsideOfPackage("..internal..")
      .should().notBeAssignableTo(new DescribedPredicate<JavaClass>("a scala.* type") {
        @Override
        public boolean test(JavaClass c) {
          return c.getPackageName().startsWith("scala");
        }
      })
      .as("public API classes of io.tidemark extend no scala.* type");
}
