package io.tidemark.archfixtures.api;

import io.tidemark.testkit.internal.Ports;

/** Breaks the internal-packages rule: uses the testkit module's internal package from this module. */
public final class UsesTestkitInternal {
  public int port() {
    return Ports.freeLoopbackPort();
  }
}
