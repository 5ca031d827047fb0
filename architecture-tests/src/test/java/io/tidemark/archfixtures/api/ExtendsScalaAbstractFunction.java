package io.tidemark.archfixtures.api;

/** Breaks the no-Scala-supertypes rule: a public class that extends a Scala class. */
public final class ExtendsScalaAbstractFunction extends scala.runtime.AbstractFunction0<String> {
  @Override
  public String apply() {
    return "x";
  }
}
