package io.tidemark.serde.avro.registry;

import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * The Confluent-compatible Schema Registry API, for Avro schemas. Implementations:
 * {@link RestSchemaRegistryClient} (HTTP) and {@link CachingSchemaRegistryClient} (caches in
 * front of another client; what serdes should use).
 *
 * <p>Errors are {@link RegistryException}s: typed by the registry's error code, with its message.
 */
public interface SchemaRegistryClient {

  /** Registers {@code schema} under {@code subject} (or finds it there) and returns its id. */
  int register(String subject, Schema schema);

  /**
   * The id of {@code schema} under {@code subject}.
   *
   * @throws SchemaNotFoundException when the subject does not have this schema
   */
  int id(String subject, Schema schema);

  /**
   * The schema with {@code id}.
   *
   * @throws SchemaNotFoundException when the registry has no schema with this id
   */
  Schema schema(int id);

  /** The latest version under {@code subject}. */
  SchemaVersion latest(String subject);

  /** Version {@code version} under {@code subject}. */
  SchemaVersion version(String subject, int version);

  /** Every subject. */
  List<String> subjects();

  /** The versions under {@code subject}, oldest first. */
  List<Integer> versions(String subject);

  /** Whether {@code schema} may be registered under {@code subject}, by the registry's compatibility rules. */
  boolean isCompatible(String subject, Schema schema);

  /** The compatibility level of {@code subject}, or the global one when empty. */
  String compatibility(Optional<String> subject);

  /** Sets the compatibility level of {@code subject}, or the global one when empty. */
  void setCompatibility(Optional<String> subject, String level);

  /** A schema as one version of a subject. */
  record SchemaVersion(String subject, int version, int id, Schema schema) {}
}
