package io.tidemark.testkit;

import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;

class MemoryOffsetStoreContractTest extends OffsetStoreContractTest {

  @Override
  protected OffsetStore openStore() {
    return OffsetStores.open("memory:contract?history.max.entries=20");
  }

  @Override
  protected boolean isDurable() {
    return false;
  }

  @Override
  protected int historyCapacity() {
    return 20;
  }
}
