package io.tidemark.serde.avro;

import io.tidemark.serde.avro.compat.CompatibilityChecker;
import io.tidemark.serde.avro.compat.CompatibilityLevel;
import io.tidemark.serde.avro.registry.CachingSchemaRegistryClient;
import io.tidemark.serde.avro.registry.InvalidSchemaException;
import io.tidemark.serde.avro.registry.SchemaNotFoundException;
import io.tidemark.serde.avro.registry.SchemaRegistryClient;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads the Schema Registry wire format. The writer schema is looked up by the record's id (once:
 * the client caches it), and the record is resolved from it to the reader schema: the one
 * configured ({@code avro.reader.schema}), the generated class's ({@code specific.avro.reader}),
 * or else the writer's own. A new writer schema appearing mid-stream is just another id.
 *
 * <p>Bad input never kills the process with anything but these {@code SerializationException}s:
 * {@link InvalidHeaderException} (wrong magic byte or too short, with the first bytes in hex),
 * {@link UnknownSchemaIdException} (names the id and the registry) and
 * {@link CorruptRecordException} (truncated or corrupt body, trailing bytes, or lengths beyond
 * Avro's {@code org.apache.avro.limits.*} system limits). {@code null} reads as {@code null}.
 * Settings: {@link AvroSerdeConfig}. Thread-safe.
 */
public class AvroDeserializer<T> implements Deserializer<T> {
  private SchemaRegistryClient client;
  private boolean specific;
  private Optional<Schema> readerSchema = Optional.empty();
  private final Map<Integer, DatumReader<Object>> readers = new ConcurrentHashMap<>();
  /** Writer schemas the reader schema cannot read: one check each, not one per record. */
  private final Map<Integer, ReaderSchemaException> readerFailures = new ConcurrentHashMap<>();
  /** The reader of the last id seen: most topics carry one schema at a time, so most records skip the map. */
  private volatile LastReader lastReader;

  private record LastReader(int id, DatumReader<Object> reader) {}

  /** For Kafka, which configures it with {@link #configure}. */
  public AvroDeserializer() {}

  /** Around {@code client} (usually a caching one); {@link #configure} may still set the other settings. */
  public AvroDeserializer(SchemaRegistryClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** Reads every record resolved to {@code schema} (the same as {@code avro.reader.schema}). */
  public AvroDeserializer<T> readerSchema(Schema schema) {
    this.readerSchema = Optional.of(schema);
    readers.clear();
    lastReader = null;
    return this;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    AvroSerdeConfig config = new AvroSerdeConfig(configs);
    this.specific = config.bool("specific.avro.reader");
    trust(config.string("specific.avro.trusted.packages"));
    config.readerSchema().ifPresent(this::readerSchema);
    if (client == null) {
      client = config.client();
    }
  }

  /**
   * The registry client's counts, when it is a {@link CachingSchemaRegistryClient} (as configured
   * from {@code schema.registry.url}): how many lookups reached the registry. Records whose schema
   * the deserializer already resolved do not reach the client at all.
   */
  public Optional<CachingSchemaRegistryClient.Stats> registryStats() {
    return client instanceof CachingSchemaRegistryClient c ? Optional.of(c.stats()) : Optional.empty();
  }

  @Override
  @SuppressWarnings("unchecked")
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    if (client == null) {
      throw new IllegalStateException("AvroDeserializer is not configured: call configure() with"
          + " schema.registry.url, or build it with a SchemaRegistryClient");
    }
    int id = schemaId(topic, data);
    LastReader last = lastReader;
    DatumReader<Object> reader = last != null && last.id() == id ? last.reader() : readers.get(id);
    if (reader == null) {
      Schema writer;
      try {
        writer = client.schema(id);
      } catch (SchemaNotFoundException | InvalidSchemaException e) {
        throw new UnknownSchemaIdException(id, "a record of topic " + topic + " names schema id " + id + ", which "
            + client + (e instanceof InvalidSchemaException ? " has, but not as an Avro schema this serde can read"
                : " does not have: it was written against another registry, or is not a Schema Registry record")
            + " (" + e.getMessage() + ")", e);
      }
      try {
        ReaderSchemaException known = readerFailures.get(id);
        if (known != null) {
          throw new ReaderSchemaException(known.getMessage()); // checked once per writer schema
        }
        reader = readers.computeIfAbsent(id, i -> reader(i, writer));
      } catch (ReaderSchemaException e) {
        throw e;
      } catch (SecurityException e) {
        throw new SerializationException("a record of topic " + topic + " (schema " + id + ") names class "
            + writer.getFullName() + ", which Avro does not trust: add its package to specific.avro.trusted.packages", e);
      } catch (RuntimeException e) {
        throw new SerializationException("a record of topic " + topic + " (schema " + id + ") cannot be read as "
            + (specific ? "a generated class" : "configured") + ": " + e.getMessage(), e);
      }
    }
    if (last == null || last.id() != id) {
      lastReader = new LastReader(id, reader);
    }
    BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_BYTES,
        data.length - WireFormat.HEADER_BYTES, null);
    try {
      Object value = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new CorruptRecordException("a record of topic " + topic + " (schema " + id + ") has bytes after its Avro body: it is corrupt or"
            + " was written with another schema", null);
      }
      return (T) value;
    } catch (SerializationException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // Avro reports malformed input with many exception types (AvroRuntimeException, EOF,
      // UnsupportedOperationException for huge lengths, index errors): all mean a corrupt record
      throw new CorruptRecordException("a record of topic " + topic + " (schema " + id + ", " + data.length + " bytes) cannot be decoded: "
          + e, e);
    }
  }

  private static int schemaId(String topic, byte[] data) {
    if (data.length >= WireFormat.HEADER_BYTES && data[0] == WireFormat.MAGIC) {
      return ((data[1] & 0xff) << 24) | ((data[2] & 0xff) << 16) | ((data[3] & 0xff) << 8) | (data[4] & 0xff);
    }
    return WireFormat.schemaId(data, "a record of topic " + topic); // throws, saying what is wrong
  }

  private static final Set<String> TRUSTED = ConcurrentHashMap.newKeySet();

  /** Adds {@code packages} (comma-separated) to what Avro's JVM-wide class validator trusts. */
  private static void trust(String packages) {
    for (String p : packages.split(",")) {
      String pkg = p.trim();
      if (!pkg.isEmpty()) {
        synchronized (TRUSTED) { // installed before any reader of this configure() can need it
          if (TRUSTED.add(pkg)) {
            ClassSecurityValidator.ClassSecurityPredicate mine = c -> c.getName().startsWith(pkg + ".");
            ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), mine));
          }
        }
      }
    }
  }

  private DatumReader<Object> reader(int id, Schema writer) {
    Schema reader = specific ? readerSchema.orElseGet(() -> generatedSchema(writer)) : readerSchema.orElse(writer);
    if (reader != writer) {
      // Avro's resolving reader matches records by position in the tree, not by name: a reader in
      // another namespace reads fine, so name mismatches are not counted against it
      List<CompatibilityChecker.Incompatibility> problems = CompatibilityChecker.check(reader, List.of(writer),
          CompatibilityLevel.BACKWARD).incompatibilities().stream().filter(i -> !i.type().equals("NAME_MISMATCH"))
          .toList();
      if (!problems.isEmpty()) {
        ReaderSchemaException e = new ReaderSchemaException("the reader schema " + reader.getFullName()
            + " cannot read writer schema " + id + ": " + problems + ". Change avro.reader.schema (or the generated"
            + " class) so it can: for example give the fields the writer lacks a default.");
        readerFailures.put(id, e);
        throw e;
      }
    }
    return specific ? new SpecificDatumReader<>(writer, reader) : new GenericDatumReader<>(writer, reader);
  }

  /** The schema of the class generated for {@code writer}; only named types have one. */
  private static Schema generatedSchema(Schema writer) {
    return switch (writer.getType()) {
      case RECORD, ENUM, FIXED -> {
        Class<?> c = SpecificData.get().getClass(writer);
        if (c == null) {
          throw new IllegalStateException("no generated class " + writer.getFullName() + " on the class path;"
              + " add it, or read without specific.avro.reader");
        }
        yield SpecificData.get().getSchema(c);
      }
      default -> writer; // arrays, maps, unions and primitives have no generated class
    };
  }

  @Override
  public void close() {
    // the client holds no resources that need closing
  }
}
