package io.tidemark.archfixtures.api;

/** Breaks the no-Scala-supertypes rule: a public class that implements a Scala trait. */
public final class ImplementsScalaFunction implements scala.Function0<String> {
  @Override
  public String apply() {
    return "x";
  }
}
