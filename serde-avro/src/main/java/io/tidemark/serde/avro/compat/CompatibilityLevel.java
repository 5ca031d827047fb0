package io.tidemark.serde.avro.compat;

/** The Schema Registry's compatibility levels, with their meaning for a new schema against the registered ones. */
public enum CompatibilityLevel {
  /** The new schema can read data written with the latest one. */
  BACKWARD,
  /** The new schema can read data written with every registered one. */
  BACKWARD_TRANSITIVE,
  /** The latest schema can read data written with the new one. */
  FORWARD,
  /** Every registered schema can read data written with the new one. */
  FORWARD_TRANSITIVE,
  /** Backward and forward against the latest schema. */
  FULL,
  /** Backward and forward against every registered schema. */
  FULL_TRANSITIVE,
  /** No check. */
  NONE;

  boolean backward() {
    return this == BACKWARD || this == BACKWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
  }

  boolean forward() {
    return this == FORWARD || this == FORWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
  }

  boolean transitive() {
    return this == BACKWARD_TRANSITIVE || this == FORWARD_TRANSITIVE || this == FULL_TRANSITIVE;
  }
}
