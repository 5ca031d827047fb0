package io.tidemark.serde.avro.registry;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.apache.avro.Schema;

/**
 * Caches in front of another {@link SchemaRegistryClient}, so that after warm-up a serde makes no
 * registry call per record:
 * <ul>
 *   <li>id to schema: kept for good (an id never changes meaning), bounded by size;
 *   <li>schema to id, per subject: kept for good, bounded by size;
 *   <li>latest version of a subject: kept for {@code latestTtl};
 *   <li>unknown ids: remembered as misses for {@code missTtl}, so that a poison record cannot
 *       make every consumer ask the registry again and again.
 * </ul>
 * Lookups of one id are single-flight: concurrent misses make one request, and all callers get
 * its answer. Listing, compatibility and configuration calls are not cached. Thread-safe.
 */
public final class CachingSchemaRegistryClient implements SchemaRegistryClient {
  private final SchemaRegistryClient delegate;
  private final LongSupplier nanoTime;
  private final long latestTtlNanos;
  private final long missTtlNanos;
  private final Map<Integer, Schema> schemas;
  private final Map<SubjectSchema, Integer> ids;
  private final Map<String, Timed<SchemaVersion>> latest;
  private final Map<Integer, Long> misses;
  private final ConcurrentHashMap<Integer, CompletableFuture<Schema>> inFlight = new ConcurrentHashMap<>();
  private final LongAdder lookups = new LongAdder();
  private final LongAdder registryCalls = new LongAdder();

  /**
   * What the cache saved so far: lookups of ids, schemas and latest versions (the cached calls),
   * and how many of them went to the registry.
   *
   * @param lookups cached calls made
   * @param registryCalls of those, the ones the registry answered (or refused)
   */
  public record Stats(long lookups, long registryCalls) {
    /** The share of lookups the cache answered (1 when there were none). */
    public double hitRate() {
      return lookups == 0 ? 1.0 : (double) (lookups - registryCalls) / lookups;
    }
  }

  /** Counts since this client was built. */
  public Stats stats() {
    return new Stats(lookups.sum(), registryCalls.sum());
  }

  private record Timed<T>(T value, long expires) {}

  /** A map key: Avro caches a schema's hash code, so lookups cost no schema-to-JSON rendering. */
  private record SubjectSchema(String subject, Schema schema) {}

  private CachingSchemaRegistryClient(Builder b) {
    this.delegate = b.delegate;
    this.nanoTime = b.nanoTime;
    this.latestTtlNanos = b.latestTtl.toNanos();
    this.missTtlNanos = b.missTtl.toNanos();
    this.schemas = lru(b.maxSchemas);
    this.ids = lru(b.maxSchemas);
    this.latest = lru(b.maxSubjects);
    this.misses = lru(b.maxSchemas);
  }

  /** Caches in front of {@code delegate}. */
  public static Builder builder(SchemaRegistryClient delegate) {
    return new Builder(delegate);
  }

  private static <K, V> Map<K, V> lru(int max) {
    return java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > max;
      }
    });
  }

  @Override
  public int register(String subject, Schema schema) {
    return cachedId(subject, schema, () -> delegate.register(subject, schema));
  }

  @Override
  public int id(String subject, Schema schema) {
    return cachedId(subject, schema, () -> delegate.id(subject, schema));
  }

  private int cachedId(String subject, Schema schema, IntSupplier ask) {
    lookups.increment();
    SubjectSchema key = new SubjectSchema(subject, schema);
    Integer known = ids.get(key);
    if (known != null) {
      return known;
    }
    registryCalls.increment();
    int id = ask.getAsInt();
    ids.put(key, id);
    schemas.putIfAbsent(id, schema);
    return id;
  }

  @Override
  public Schema schema(int id) {
    lookups.increment();
    Schema known = schemas.get(id);
    if (known != null) {
      return known;
    }
    Long missUntil = misses.get(id);
    if (missUntil != null && nanoTime.getAsLong() - missUntil < 0) {
      throw new SchemaNotFoundException(404, 40403, "schema " + id + " is not in the registry (answered "
          + Duration.ofNanos(missTtlNanos) + " ago or less; not asked again until then) " + delegate, null);
    }
    CompletableFuture<Schema> mine = new CompletableFuture<>();
    CompletableFuture<Schema> flight = inFlight.putIfAbsent(id, mine);
    if (flight != null) {
      try {
        return flight.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
    }
    try {
      Schema again = schemas.get(id); // another flight may have finished between our checks
      Schema schema = again;
      if (schema == null) {
        registryCalls.increment();
        schema = delegate.schema(id);
      }
      schemas.put(id, schema);
      misses.remove(id);
      mine.complete(schema);
      return schema;
    } catch (SchemaNotFoundException | InvalidSchemaException e) {
      misses.put(id, nanoTime.getAsLong() + missTtlNanos);
      mine.completeExceptionally(e);
      throw e;
    } catch (Throwable e) {
      mine.completeExceptionally(e); // waiters must never hang, whatever went wrong
      throw e;
    } finally {
      inFlight.remove(id, mine);
    }
  }

  @Override
  public SchemaVersion latest(String subject) {
    lookups.increment();
    Timed<SchemaVersion> known = latest.get(subject);
    long now = nanoTime.getAsLong();
    if (known != null && now - known.expires() < 0) {
      return known.value();
    }
    registryCalls.increment();
    SchemaVersion v = delegate.latest(subject);
    latest.put(subject, new Timed<>(v, now + latestTtlNanos));
    schemas.putIfAbsent(v.id(), v.schema());
    return v;
  }

  @Override
  public SchemaVersion version(String subject, int version) {
    SchemaVersion v = delegate.version(subject, version);
    schemas.putIfAbsent(v.id(), v.schema());
    return v;
  }

  @Override
  public List<String> subjects() {
    return delegate.subjects();
  }

  @Override
  public List<Integer> versions(String subject) {
    return delegate.versions(subject);
  }

  @Override
  public boolean isCompatible(String subject, Schema schema) {
    return delegate.isCompatible(subject, schema);
  }

  @Override
  public String compatibility(Optional<String> subject) {
    return delegate.compatibility(subject);
  }

  @Override
  public void setCompatibility(Optional<String> subject, String level) {
    delegate.setCompatibility(subject, level);
  }

  @Override
  public String toString() {
    return "CachingSchemaRegistryClient(" + delegate + ")";
  }

  /** Options of a {@link CachingSchemaRegistryClient}. */
  public static final class Builder {
    private final SchemaRegistryClient delegate;
    private int maxSchemas = 10_000;
    private int maxSubjects = 1_000;
    private Duration latestTtl = Duration.ofMinutes(1);
    private Duration missTtl = Duration.ofSeconds(10);
    private LongSupplier nanoTime = System::nanoTime;

    private Builder(SchemaRegistryClient delegate) {
      this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** Most schemas (and subject-schema ids) kept (default 10,000). */
    public Builder maxSchemas(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("the schema cache must hold at least 1, got " + max);
      }
      this.maxSchemas = max;
      return this;
    }

    /** Most subjects whose latest version is kept (default 1,000). */
    public Builder maxSubjects(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("the subject cache must hold at least 1, got " + max);
      }
      this.maxSubjects = max;
      return this;
    }

    /** How long a subject's latest version is kept (default 1 minute). */
    public Builder latestTtl(Duration ttl) {
      this.latestTtl = Objects.requireNonNull(ttl, "ttl");
      return this;
    }

    /** How long an unknown id is remembered as unknown (default 10 s). */
    public Builder missTtl(Duration ttl) {
      this.missTtl = Objects.requireNonNull(ttl, "ttl");
      return this;
    }

    /** The clock the TTLs are measured with ({@link System#nanoTime()} outside tests). */
    public Builder nanoTime(LongSupplier nanoTime) {
      this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
      return this;
    }

    /** The client. */
    public CachingSchemaRegistryClient build() {
      return new CachingSchemaRegistryClient(this);
    }
  }
}
