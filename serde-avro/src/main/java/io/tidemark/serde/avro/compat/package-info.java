/** Local schema compatibility checks at the Schema Registry's seven levels, on Avro's SchemaCompatibility. */
package io.tidemark.serde.avro.compat;
