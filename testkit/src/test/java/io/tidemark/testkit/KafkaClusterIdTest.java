package io.tidemark.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The cluster ids the broker fixture formats its log directory with. */
class KafkaClusterIdTest {

  @Test
  void idsAreKafkaShapedAndNeverLookLikeAnOption() {
    Set<String> ids = new HashSet<>();
    // one raw draw in 64 starts with '-': 10,000 draws would meet hundreds of them
    for (int i = 0; i < 10_000; i++) {
      String id = KafkaBroker.clusterId();
      assertThat(id).hasSize(22).matches("[A-Za-z0-9_][A-Za-z0-9_-]{21}");
      ids.add(id);
    }
    assertThat(ids).hasSize(10_000);
  }
}
