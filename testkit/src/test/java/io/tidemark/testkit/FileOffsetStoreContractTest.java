package io.tidemark.testkit;

import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class FileOffsetStoreContractTest extends OffsetStoreContractTest {

  @TempDir
  static Path dir;

  @Override
  protected OffsetStore openStore() {
    return OffsetStores.open(dir.toUri() + "?history.max.entries=20");
  }

  @Override
  protected int historyCapacity() {
    return 20;
  }

  /** A job is locked to the instance that writes it. */
  @Override
  protected boolean allowsTwoWriterInstances() {
    return false;
  }
}
