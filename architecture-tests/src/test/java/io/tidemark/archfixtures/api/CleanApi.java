package io.tidemark.archfixtures.api;

import java.util.List;
import java.util.Optional;

/** Keeps every rule: Java types in public signatures and bounds; Scala only in a private helper. */
public final class CleanApi {
  public Optional<String> maybe() {
    return Optional.ofNullable(hidden().getOrElse(() -> null));
  }

  public int take(List<String> values) {
    return values.size();
  }

  public <T extends Comparable<? super T>> T first(List<T> values) {
    return values.get(0);
  }

  private static scala.Option<String> hidden() {
    return scala.Option.apply("x");
  }
}
