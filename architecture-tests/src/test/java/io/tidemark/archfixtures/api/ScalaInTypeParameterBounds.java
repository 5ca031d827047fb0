package io.tidemark.archfixtures.api;

import java.util.List;

/**
 * Breaks the no-Scala rule only through type parameter bounds: neither bound shows up in a
 * parameter or return type, so only the bounds themselves can report them.
 */
public final class ScalaInTypeParameterBounds<T extends scala.Product> {
  public <F extends scala.Function0<String>> int count(List<String> values) {
    return values.size();
  }
}
