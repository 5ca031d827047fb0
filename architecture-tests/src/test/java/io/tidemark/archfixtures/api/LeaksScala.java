package io.tidemark.archfixtures.api;

/** Breaks the no-Scala rule: public signatures with Scala types. */
public final class LeaksScala {
  public scala.Option<String> maybe() {
    return scala.Option.empty();
  }

  public int take(scala.collection.immutable.Seq<String> values) {
    return values.size();
  }
}
