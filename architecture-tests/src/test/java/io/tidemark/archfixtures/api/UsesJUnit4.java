package io.tidemark.archfixtures.api;

/** Breaks the JUnit 5 rule. */
public final class UsesJUnit4 {
  public void check() {
    org.junit.Assert.assertTrue(Boolean.TRUE);
  }
}
