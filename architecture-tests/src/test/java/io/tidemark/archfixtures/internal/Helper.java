package io.tidemark.archfixtures.internal;

/** An internal class of this module, for {@code UsesOwnInternal}. */
public final class Helper {
  private Helper() {}

  public static String greeting() {
    return "hello";
  }
}
