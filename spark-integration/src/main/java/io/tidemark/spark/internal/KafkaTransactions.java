package io.tidemark.spark.internal;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.common.utils.ProducerIdAndEpoch;

/**
 * What {@code KafkaTransactionalSink} needs of a Kafka transaction beyond the producer's public
 * API: the producer id and epoch of an open transaction, a producer that takes an open transaction
 * over by them (Kafka clients before KIP-939 have no public way to commit another producer's
 * transaction), and a {@code read_committed} look at the output that tells whether a transaction
 * was committed or aborted.
 *
 * <p>The take-over sets the producer's transaction manager to the state {@code initTransactions}
 * and {@code beginTransaction} leave it in, with the given producer id and epoch instead of new
 * ones; the broker accepts the commit or abort that follows as the transaction's own. Tested with
 * kafka-clients 3.4.1 and 3.9.2 (the versions Spark 3.5 and Spark 4.2 bring).
 */
public final class KafkaTransactions {
  private KafkaTransactions() {}

  /** The producer id and epoch of a transactional producer. */
  public record Owner(long producerId, short epoch) {}

  /** A transactional producer of byte arrays with {@code transactionalId}, not yet initialised. */
  public static KafkaProducer<byte[], byte[]> producer(Map<String, String> config, String transactionalId) {
    Properties p = new Properties();
    p.putAll(config);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return new KafkaProducer<>(p);
  }

  /** The producer id and epoch of {@code producer}'s transactions (after {@code initTransactions}). */
  public static Owner owner(KafkaProducer<?, ?> producer) {
    try {
      Object manager = field(producer, "transactionManager");
      ProducerIdAndEpoch idAndEpoch = (ProducerIdAndEpoch) field(manager, "producerIdAndEpoch");
      return new Owner(idAndEpoch.producerId, idAndEpoch.epoch);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw unsupported(e);
    }
  }

  /**
   * A producer with {@code transactionalId} that holds the open transaction of {@code owner}:
   * {@code commitTransaction()} or {@code abortTransaction()} on it ends that transaction. It never
   * calls {@code initTransactions}, which would abort it.
   */
  public static KafkaProducer<byte[], byte[]> takeOver(Map<String, String> config, String transactionalId,
      Owner owner) {
    KafkaProducer<byte[], byte[]> producer = producer(config, transactionalId);
    try {
      Object manager = field(producer, "transactionManager");
      Class<?> stateType = Class.forName(manager.getClass().getName() + "$State");
      Method transitionTo = manager.getClass().getDeclaredMethod("transitionTo", stateType);
      transitionTo.setAccessible(true);
      ProducerIdAndEpoch idAndEpoch = new ProducerIdAndEpoch(owner.producerId(), owner.epoch());
      synchronized (manager) {
        transitionTo.invoke(manager, state(stateType, "INITIALIZING"));
        setField(manager, "producerIdAndEpoch", idAndEpoch);
        transitionTo.invoke(manager, state(stateType, "READY"));
        transitionTo.invoke(manager, state(stateType, "IN_TRANSACTION"));
        setField(manager, "transactionStarted", true);
      }
      return producer;
    } catch (ReflectiveOperationException | RuntimeException e) {
      producer.close(Duration.ZERO);
      throw unsupported(e);
    }
  }

  /** What a {@code read_committed} reader finds where a transaction's first record was written. */
  public enum Outcome {
    /** The record is visible: the transaction was committed. */
    COMMITTED,
    /** The record is skipped: the transaction was aborted. */
    ABORTED,
    /** The record is gone (retention) or not readable yet: nothing can be told. */
    UNKNOWN
  }

  /**
   * Whether the transaction whose first record went to {@code partition} at {@code offset} was
   * committed: a {@code read_committed} consumer returns that record only if it was.
   */
  public static Outcome outcome(Map<String, String> config, TopicPartition partition, long offset, Duration timeout) {
    Map<String, Object> c = new HashMap<>();
    config.forEach((k, v) -> {
      if (ConsumerConfig.configNames().contains(k)) {
        c.put(k, v);
      }
    });
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> one = List.of(partition);
      consumer.assign(one);
      long logStart = consumer.beginningOffsets(one, timeout).get(partition);
      if (logStart > offset) {
        return Outcome.UNKNOWN;
      }
      long stable = consumer.endOffsets(one, timeout).get(partition); // the last stable offset (read_committed)
      if (stable <= offset) {
        return Outcome.UNKNOWN;
      }
      consumer.seek(partition, offset);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200)).records(partition)) {
          return r.offset() == offset ? Outcome.COMMITTED : Outcome.ABORTED;
        }
        if (consumer.position(partition, timeout) >= stable) {
          return Outcome.ABORTED; // read past it to the stable end without a record: filtered out
        }
      }
      return Outcome.UNKNOWN;
    }
  }

  private static Object state(Class<?> stateType, String name) {
    for (Object constant : stateType.getEnumConstants()) {
      if (((Enum<?>) constant).name().equals(name)) {
        return constant;
      }
    }
    throw new IllegalStateException("no transaction state " + name + " in " + stateType);
  }

  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    Field f = owner.getClass().getDeclaredField(name);
    f.setAccessible(true);
    return f.get(owner);
  }

  private static void setField(Object owner, String name, Object value) throws ReflectiveOperationException {
    Field f = owner.getClass().getDeclaredField(name);
    f.setAccessible(true);
    f.set(owner, value);
  }

  private static KafkaException unsupported(Exception cause) {
    return new KafkaException("KafkaTransactionalSink cannot take over a Kafka transaction with kafka-clients "
        + AppInfoParser.getVersion() + " (tested with 3.4.1 and 3.9.2, which Spark 3.5 and Spark 4.2 bring): its"
        + " producer internals differ. Use the kafka-clients of your Spark line: " + cause, cause);
  }
}
