package io.tidemark.offsets.zookeeper;

import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.testkit.OffsetStoreContractTest;
import io.tidemark.testkit.ZooKeeperServer;
import org.junit.jupiter.api.extension.RegisterExtension;

class ZooKeeperOffsetStoreContractIT extends OffsetStoreContractTest {

  @RegisterExtension
  static final ZooKeeperServer zk = ZooKeeperServer.create();

  @Override
  protected OffsetStore openStore() {
    return OffsetStores.open("zk://" + zk.connectString() + "/contract?history.max.entries=20");
  }

  @Override
  protected int historyCapacity() {
    return 20;
  }
}
