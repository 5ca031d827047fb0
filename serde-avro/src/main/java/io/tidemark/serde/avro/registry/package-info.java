/**
 * A Schema Registry client: the Confluent-compatible REST API
 * ({@link io.tidemark.serde.avro.registry.RestSchemaRegistryClient}) and the caches serdes use in
 * front of it ({@link io.tidemark.serde.avro.registry.CachingSchemaRegistryClient}), with typed
 * errors for the registry's error codes.
 */
package io.tidemark.serde.avro.registry;
