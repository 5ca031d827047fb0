package io.tidemark.offsets.hbase;

import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.testkit.HBaseCluster;
import io.tidemark.testkit.OffsetStoreContractTest;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The OffsetStore contract on a real HBase mini-cluster, started once for the class. */
class HBaseOffsetStoreContractIT extends OffsetStoreContractTest {

  @RegisterExtension
  static final HBaseCluster hbase = HBaseCluster.create();

  @Override
  protected OffsetStore openStore() {
    return OffsetStores.open("hbase://" + hbase.zookeeperQuorum() + "/tidemark:contract?hbase.create.table=true");
  }
}
