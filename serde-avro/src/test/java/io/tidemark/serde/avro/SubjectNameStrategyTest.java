package io.tidemark.serde.avro;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class SubjectNameStrategyTest {
  private static final Schema ORDER = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Order\","
      + "\"namespace\":\"shop\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}");

  @Test
  void namesSubjectsAsConfluentsStrategiesDo() {
    assertThat(SubjectNameStrategy.TOPIC.subject("orders", false, ORDER)).isEqualTo("orders-value");
    assertThat(SubjectNameStrategy.TOPIC.subject("orders", true, ORDER)).isEqualTo("orders-key");
    assertThat(SubjectNameStrategy.RECORD.subject("orders", false, ORDER)).isEqualTo("shop.Order");
    assertThat(SubjectNameStrategy.TOPIC_RECORD.subject("orders", true, ORDER)).isEqualTo("orders-shop.Order");
    assertThat(SubjectNameStrategy.TOPIC.subject("ids", true, Schema.create(Schema.Type.LONG))).isEqualTo("ids-key");
  }

  @Test
  void recordStrategiesNeedRecords() {
    assertThatThrownBy(() -> SubjectNameStrategy.RECORD.subject("ids", true, Schema.create(Schema.Type.LONG)))
        .hasMessageContaining("needs a record schema, not LONG");
  }

  @Test
  void acceptsShortNamesAndConfluentsClassNames() {
    assertThat(SubjectNameStrategy.parse("topic-record")).isEqualTo(SubjectNameStrategy.TOPIC_RECORD);
    assertThat(SubjectNameStrategy.parse("io.confluent.kafka.serializers.subject.RecordNameStrategy"))
        .isEqualTo(SubjectNameStrategy.RECORD);
    assertThat(SubjectNameStrategy.parse("TopicNameStrategy")).isEqualTo(SubjectNameStrategy.TOPIC);
    assertThatThrownBy(() -> SubjectNameStrategy.parse("by-color")).hasMessageContaining("use topic, record or topic-record");
  }
}
