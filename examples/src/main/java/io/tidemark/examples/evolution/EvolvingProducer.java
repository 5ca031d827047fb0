package io.tidemark.examples.evolution;

import io.tidemark.examples.JobOptions;
import io.tidemark.examples.Shipments;
import io.tidemark.serde.avro.AvroSerializer;
import io.tidemark.serde.avro.compat.CompatibilityChecker;
import io.tidemark.serde.avro.compat.CompatibilityLevel;
import io.tidemark.serde.avro.registry.IncompatibleSchemaException;
import io.tidemark.serde.avro.registry.RestSchemaRegistryClient;
import io.tidemark.serde.avro.registry.SchemaRegistryClient;
import java.io.PrintStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A producer whose schema evolves while {@link SchemaEvolutionJob} reads its topic: it writes
 * shipments with schema v1, then with v2 (a new optional {@code carrier}, compatible), then tries
 * the incompatible v3 ({@code quantity} as a string). The registry refuses v3 at registration
 * under the subject's {@code BACKWARD} compatibility, so no v3 record reaches Kafka; the producer
 * reports the refusal and, from the local {@link CompatibilityChecker}, each incompatibility and
 * where it is in the schema.
 *
 * <p>Exit code 0 when the run goes as described (v3 refused), 1 if the registry accepted v3.
 */
public final class EvolvingProducer {
  private EvolvingProducer() {}

  static final Map<String, String> OPTIONS = new LinkedHashMap<>();

  static {
    OPTIONS.put("bootstrap", "(required) Kafka bootstrap servers");
    OPTIONS.put("registry", "(required) schema registry URL");
    OPTIONS.put("topic", "the topic (default shipments-evolving)");
    OPTIONS.put("records", "records per version (default 500)");
    OPTIONS.put("pause-ms", "pause between the versions, to watch the job go on (default 5000)");
  }

  public static void main(String[] args) throws Exception {
    JobOptions o = JobOptions.parse("EvolvingProducer", "Writes shipments with schema v1, then v2, then tries v3.",
        OPTIONS, args);
    String topic = o.get("topic", "shipments-evolving");
    int records = o.getInt("records", 500);
    long pause = o.getInt("pause-ms", 5000);
    try (EvolvingProducer.Session s = new Session(o.get("bootstrap"), o.get("registry"), topic, System.out)) {
      s.requireBackwardCompatibility();
      s.produce(1, 0, records);
      Thread.sleep(pause); // a demonstration's pace, not a synchronisation
      s.produce(2, records, records);
      Thread.sleep(pause);
      System.exit(s.tryIncompatible() ? 0 : 1);
    }
  }

  /** A producer on one topic, writing with one version or another. */
  public static final class Session implements AutoCloseable {
    private final String topic;
    private final PrintStream out;
    private final SchemaRegistryClient registry;
    private final KafkaProducer<String, GenericRecord> producer;

    /** Opens a producer (values through Tidemark's {@link AvroSerializer}, registering their schemas). */
    public Session(String bootstrap, String registryUrl, String topic, PrintStream out) {
      this.topic = topic;
      this.out = out;
      this.registry = RestSchemaRegistryClient.builder(registryUrl).build();
      AvroSerializer<GenericRecord> values = new AvroSerializer<>();
      values.configure(Map.of("schema.registry.url", registryUrl), false);
      this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), values);
    }

    /** The value subject's compatibility set to BACKWARD (registries often default to none). */
    public void requireBackwardCompatibility() {
      registry.setCompatibility(Optional.of(topic + "-value"), CompatibilityLevel.BACKWARD.name());
    }

    /** Writes {@code count} shipments with schema {@code version} (1 or 2), order ids from {@code first}. */
    public void produce(int version, int first, int count) {
      List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent = new java.util.ArrayList<>();
      for (int i = first; i < first + count; i++) {
        String product = Shipments.PRODUCTS.get(i % Shipments.PRODUCTS.size());
        Instant at = Instant.parse("2026-11-26T08:00:00Z").plusSeconds(i);
        GenericRecord r = version == 1 ? Shipments.v1("order-" + i, product, 1 + i % 5, "rotterdam", at)
            : Shipments.v2("order-" + i, product, 1 + i % 5, "rotterdam", at, i % 2 == 0 ? "dhl" : "ups");
        sent.add(producer.send(new ProducerRecord<>(topic, r.get("orderId").toString(), r)));
      }
      producer.flush();
      for (java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> f : sent) {
        try {
          f.get(); // a send that failed is reported, not counted as produced
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while producing", e);
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException("a v" + version + " shipment could not be produced: " + e.getCause(), e);
        }
      }
      out.printf("v%d: produced %d shipments%s%n", version, count, version == 2 ? ", each with a carrier" : "");
    }

    /** Tries to write one shipment with v3; true when the registry refused it (and it was reported). */
    public boolean tryIncompatible() {
      GenericRecord r = new GenericData.Record(Shipments.V3_INCOMPATIBLE);
      r.put("orderId", "order-v3");
      r.put("product", "rope");
      r.put("quantity", "three");
      r.put("warehouse", "rotterdam");
      r.put("shippedAt", Instant.parse("2026-11-26T09:00:00Z").toEpochMilli());
      try {
        producer.send(new ProducerRecord<>(topic, "order-v3", r)).get();
        out.println("v3: ACCEPTED by the registry, which should have refused it: is the subject's compatibility NONE?");
        return false;
      } catch (Exception e) {
        IncompatibleSchemaException refusal = cause(e);
        if (refusal == null) {
          throw new IllegalStateException("v3 failed for another reason than its compatibility", e);
        }
        out.println("v3: refused by the registry (HTTP " + refusal.status() + "): " + refusal.getMessage());
        out.println("    nothing was written with v3. Why, from the local check against v1 and v2:");
        CompatibilityChecker.check(Shipments.V3_INCOMPATIBLE, List.of(Shipments.V1, Shipments.V2),
            CompatibilityLevel.BACKWARD_TRANSITIVE).incompatibilities().forEach(i -> out.println("    - " + i));
        out.println("    fix: add a new field with a default instead of changing quantity's type");
        return true;
      }
    }

    private static IncompatibleSchemaException cause(Throwable e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof IncompatibleSchemaException i) {
          return i;
        }
      }
      return null;
    }

    @Override
    public void close() {
      producer.close();
    }
  }
}
