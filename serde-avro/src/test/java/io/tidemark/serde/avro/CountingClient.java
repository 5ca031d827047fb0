package io.tidemark.serde.avro;

import io.tidemark.serde.avro.registry.SchemaRegistryClient;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;

/** Counts the calls that reach a real client, so tests can see what the caches saved. */
final class CountingClient implements SchemaRegistryClient {
  final AtomicInteger calls = new AtomicInteger();
  private final SchemaRegistryClient real;
  /** Runs inside {@link #schema(int)} before the real call: a test can hold the request there. */
  volatile Runnable beforeSchemaById = () -> { };

  CountingClient(SchemaRegistryClient real) {
    this.real = real;
  }

  @Override
  public int register(String subject, Schema schema) {
    calls.incrementAndGet();
    return real.register(subject, schema);
  }

  @Override
  public int id(String subject, Schema schema) {
    calls.incrementAndGet();
    return real.id(subject, schema);
  }

  @Override
  public Schema schema(int id) {
    calls.incrementAndGet();
    beforeSchemaById.run();
    return real.schema(id);
  }

  @Override
  public SchemaVersion latest(String subject) {
    calls.incrementAndGet();
    return real.latest(subject);
  }

  @Override
  public SchemaVersion version(String subject, int version) {
    calls.incrementAndGet();
    return real.version(subject, version);
  }

  @Override
  public List<String> subjects() {
    calls.incrementAndGet();
    return real.subjects();
  }

  @Override
  public List<Integer> versions(String subject) {
    calls.incrementAndGet();
    return real.versions(subject);
  }

  @Override
  public boolean isCompatible(String subject, Schema schema) {
    calls.incrementAndGet();
    return real.isCompatible(subject, schema);
  }

  @Override
  public String compatibility(Optional<String> subject) {
    calls.incrementAndGet();
    return real.compatibility(subject);
  }

  @Override
  public void setCompatibility(Optional<String> subject, String level) {
    calls.incrementAndGet();
    real.setCompatibility(subject, level);
  }

  @Override
  public String toString() {
    return real.toString();
  }
}
