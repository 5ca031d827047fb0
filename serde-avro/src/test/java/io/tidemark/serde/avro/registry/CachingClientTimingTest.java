package io.tidemark.serde.avro.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/**
 * The caches' time and size bounds, on a clock the test moves: what a real registry cannot show
 * on demand (the ITs show the caches against the real one). Behind the cache is a small in-memory
 * registry that counts the calls reaching it.
 */
class CachingClientTimingTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final AtomicInteger calls = new AtomicInteger();
  private final Map<Integer, Schema> byId = Map.of(1, Schema.create(Schema.Type.STRING), 2,
      Schema.create(Schema.Type.LONG), 3, Schema.create(Schema.Type.INT));

  /** Answers schema ids 1 to 3 and the latest of any subject (id 1); counts every call. */
  private final SchemaRegistryClient registry = new SchemaRegistryClient() {
    @Override
    public int register(String subject, Schema schema) {
      throw new UnsupportedOperationException();
    }

    @Override
    public int id(String subject, Schema schema) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Schema schema(int id) {
      calls.incrementAndGet();
      Schema s = byId.get(id);
      if (s == null) {
        throw new SchemaNotFoundException(404, 40403, "Schema " + id + " not found", null);
      }
      return s;
    }

    @Override
    public SchemaVersion latest(String subject) {
      calls.incrementAndGet();
      return new SchemaVersion(subject, 1, 1, byId.get(1));
    }

    @Override
    public SchemaVersion version(String subject, int version) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<String> subjects() {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<Integer> versions(String subject) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
      throw new UnsupportedOperationException();
    }

    @Override
    public String compatibility(Optional<String> subject) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void setCompatibility(Optional<String> subject, String level) {
      throw new UnsupportedOperationException();
    }
  };

  private CachingSchemaRegistryClient.Builder cache() {
    return CachingSchemaRegistryClient.builder(registry).nanoTime(now::get);
  }

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  @Test
  void theLatestVersionIsKeptForItsTtlThenAskedAgain() {
    SchemaRegistryClient c = cache().latestTtl(Duration.ofSeconds(60)).build();
    c.latest("s");
    advance(Duration.ofSeconds(59));
    c.latest("s");
    assertThat(calls).hasValue(1);
    advance(Duration.ofSeconds(2));
    c.latest("s");
    assertThat(calls).hasValue(2);
  }

  @Test
  void anUnknownIdIsRememberedForTheMissTtlOnly() {
    SchemaRegistryClient c = cache().missTtl(Duration.ofSeconds(10)).build();
    for (int i = 0; i < 100; i++) {
      assertThatThrownBy(() -> c.schema(99)).isInstanceOf(SchemaNotFoundException.class);
    }
    assertThat(calls).as("a poison record asks once per TTL").hasValue(1);
    advance(Duration.ofSeconds(11));
    assertThatThrownBy(() -> c.schema(99)).isInstanceOf(SchemaNotFoundException.class);
    assertThat(calls).hasValue(2);
  }

  @Test
  void schemasByIdAreKeptForGoodButBoundedInNumber() {
    SchemaRegistryClient c = cache().maxSchemas(2).build();
    c.schema(1);
    c.schema(2);
    advance(Duration.ofDays(365));
    c.schema(1);
    c.schema(2);
    assertThat(calls).as("no TTL on schemas by id").hasValue(2);
    c.schema(3); // the least recently used (1) leaves
    c.schema(2);
    assertThat(calls).hasValue(3);
    c.schema(1);
    assertThat(calls).as("1 was evicted").hasValue(4);
  }

  @Test
  void statsCountLookupsAndTheCallsThatReachedTheRegistry() {
    CachingSchemaRegistryClient client = cache().build();
    assertThat(client.stats().hitRate()).as("no lookup yet").isEqualTo(1.0);
    for (int i = 0; i < 9; i++) {
      client.schema(1 + i % 3);
    }
    client.latest("orders-value");

    CachingSchemaRegistryClient.Stats stats = client.stats();
    assertThat(stats.lookups()).isEqualTo(10);
    assertThat(stats.registryCalls()).isEqualTo(calls.get()).isEqualTo(4);
    assertThat(stats.hitRate()).isEqualTo(0.6);
  }
}
