package io.tidemark.serde.avro;

import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.common.errors.SerializationException;

/** The schema of a value a serializer is given: records carry theirs; primitives map to Avro's. */
final class AvroSchemas {
  private AvroSchemas() {}

  private static final Schema STRING = Schema.create(Schema.Type.STRING);
  private static final Schema INT = Schema.create(Schema.Type.INT);
  private static final Schema LONG = Schema.create(Schema.Type.LONG);
  private static final Schema FLOAT = Schema.create(Schema.Type.FLOAT);
  private static final Schema DOUBLE = Schema.create(Schema.Type.DOUBLE);
  private static final Schema BOOLEAN = Schema.create(Schema.Type.BOOLEAN);
  private static final Schema BYTES = Schema.create(Schema.Type.BYTES);

  static Schema of(Object value) {
    if (value instanceof GenericContainer c) {
      return c.getSchema();
    }
    if (value instanceof CharSequence) {
      return STRING;
    }
    if (value instanceof Integer) {
      return INT;
    }
    if (value instanceof Long) {
      return LONG;
    }
    if (value instanceof Float) {
      return FLOAT;
    }
    if (value instanceof Double) {
      return DOUBLE;
    }
    if (value instanceof Boolean) {
      return BOOLEAN;
    }
    if (value instanceof byte[] || value instanceof ByteBuffer) {
      return BYTES;
    }
    throw new SerializationException("cannot write a " + value.getClass().getName() + " as Avro: give a"
        + " GenericRecord, a generated SpecificRecord, or a string, int, long, float, double, boolean or bytes");
  }

  /** byte[] becomes a ByteBuffer, the type Avro's writers take for bytes. */
  static Object datum(Object value) {
    return value instanceof byte[] b ? ByteBuffer.wrap(b) : value;
  }
}
