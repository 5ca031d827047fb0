package io.tidemark.archfixtures.api;

import io.tidemark.archfixtures.internal.Helper;

/** Keeps the internal-packages rule: the internal package it uses is in its own module. */
public final class UsesOwnInternal {
  public String greeting() {
    return Helper.greeting();
  }
}
