package io.tidemark.archfixtures.api;

import java.util.List;
import java.util.Optional;

/** Keeps every rule: Java types in public signatures; Scala only in a private helper. */
public final class CleanApi {
  public Optional<String> maybe() {
    return Optional.ofNullable(hidden().getOrElse(() -> null));
  }

  public int take(List<String> values) {
    return values.size();
  }

  private static scala.Option<String> hidden() {
    return scala.Option.apply("x");
  }
}
