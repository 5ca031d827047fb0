package io.tidemark.serde.avro;

import java.util.Locale;
import org.apache.avro.Schema;

/**
 * How a serde names the registry subject of a record's schema, with the names and semantics of
 * Confluent's strategies.
 */
public enum SubjectNameStrategy {
  /** {@code <topic>-key} or {@code <topic>-value} (the default; Confluent's TopicNameStrategy). */
  TOPIC,
  /** The record's full name (Confluent's RecordNameStrategy): one type, many topics. */
  RECORD,
  /** {@code <topic>-<record full name>} (Confluent's TopicRecordNameStrategy): many types per topic. */
  TOPIC_RECORD;

  /** The subject of {@code schema} written to {@code topic} as a key or a value. */
  public String subject(String topic, boolean isKey, Schema schema) {
    return switch (this) {
      case TOPIC -> topic + (isKey ? "-key" : "-value");
      case RECORD -> recordName(schema);
      case TOPIC_RECORD -> topic + "-" + recordName(schema);
    };
  }

  private String recordName(Schema schema) {
    if (schema.getType() != Schema.Type.RECORD) {
      throw new IllegalArgumentException("the " + name().toLowerCase(Locale.ROOT).replace('_', '-') + " subject name"
          + " strategy needs a record schema, not " + schema.getType() + "; use the topic strategy for primitives");
    }
    return schema.getFullName();
  }

  /**
   * The strategy a setting names: {@code topic}, {@code record}, {@code topic-record}, or the
   * simple or full class name of Confluent's strategy.
   */
  public static SubjectNameStrategy parse(String value) {
    String simple = value.substring(value.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
    return switch (simple) {
      case "topic", "topicnamestrategy" -> TOPIC;
      case "record", "recordnamestrategy" -> RECORD;
      case "topic-record", "topicrecordnamestrategy" -> TOPIC_RECORD;
      default -> throw new IllegalArgumentException("unknown subject name strategy '" + value
          + "'; use topic, record or topic-record");
    };
  }
}
