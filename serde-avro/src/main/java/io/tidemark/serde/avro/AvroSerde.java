package io.tidemark.serde.avro;

import io.tidemark.serde.avro.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** An {@link AvroSerializer} and an {@link AvroDeserializer} as one Kafka {@link Serde}. */
public class AvroSerde<T> implements Serde<T> {
  private final AvroSerializer<T> serializer;
  private final AvroDeserializer<T> deserializer;

  /** For Kafka, which configures it with {@link #configure}. */
  public AvroSerde() {
    this.serializer = new AvroSerializer<>();
    this.deserializer = new AvroDeserializer<>();
  }

  /** Around {@code client}, shared by both halves. */
  public AvroSerde(SchemaRegistryClient client) {
    this.serializer = new AvroSerializer<>(client);
    this.deserializer = new AvroDeserializer<>(client);
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    serializer.configure(configs, isKey);
    deserializer.configure(configs, isKey);
  }

  @Override
  public Serializer<T> serializer() {
    return serializer;
  }

  @Override
  public Deserializer<T> deserializer() {
    return deserializer;
  }
}
