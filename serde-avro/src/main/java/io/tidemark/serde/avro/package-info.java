/**
 * Avro serdes in the Schema Registry wire format: {@link io.tidemark.serde.avro.AvroSerializer},
 * {@link io.tidemark.serde.avro.AvroDeserializer} and {@link io.tidemark.serde.avro.AvroSerde},
 * configured by {@link io.tidemark.serde.avro.AvroSerdeConfig}; typed errors for bad input.
 */
package io.tidemark.serde.avro;
