package io.tidemark.offsets.kafka;

import io.tidemark.offsets.OffsetStore;
import io.tidemark.offsets.OffsetStores;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.OffsetStoreContractTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code kafka:} store against the whole contract, on a real broker. Kafka keeps offsets only
 * for partitions it has, so the topics the contract uses are created first (with 1,000 partitions
 * for the widest commit), and tests that need more history than the last batch are skipped: see
 * {@link KafkaOffsetStore} for what the store cannot guarantee, and {@link KafkaOffsetStoreIT}
 * for tests of exactly that.
 */
class KafkaOffsetStoreContractIT extends OffsetStoreContractTest {
  @RegisterExtension
  static final KafkaBroker broker = KafkaBroker.builder().build();

  @BeforeAll
  static void createTheContractsTopics() {
    broker.createTopic("orders", 10);
    broker.createTopic("a", 1);
    broker.createTopic("b", 1);
    broker.createTopic("wide", 1000);
    for (String topic : new String[] {"orders.v1", "orders_v2", "orders-v1", "a.b_c-d.0", "X"}) {
      broker.createTopic(topic, 4);
    }
  }

  @Override
  protected OffsetStore openStore() {
    return OffsetStores.open("kafka://" + broker.bootstrapServers() + "?kafka.group.prefix=contract.");
  }

  @Override
  protected int historyCapacity() {
    return 1;
  }

  @Override
  protected int widestCommit() {
    return 1000;
  }

  @Override
  protected boolean expectsCompareAndSet() {
    return false;
  }
}
