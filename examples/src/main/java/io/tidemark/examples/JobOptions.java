package io.tidemark.examples;

import io.tidemark.spark.DeliveryGuarantee;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.spark.SparkConf;

/**
 * The {@code --name value} options of an example job, checked against the options it declares:
 * an unknown or missing option, or {@code --help}, ends the program with its usage.
 */
public final class JobOptions {
  private final String program;
  private final Map<String, String> declared;
  private final Map<String, String> values;

  private JobOptions(String program, Map<String, String> declared, Map<String, String> values) {
    this.program = program;
    this.declared = declared;
    this.values = values;
  }

  /**
   * Parses {@code args}. {@code declared} maps each option to its description; an option whose
   * description starts with {@code "(required)"} must be given. Exits with code 2 and the usage on
   * stderr for a bad command line, and with 0 and the usage on stdout for {@code --help}.
   */
  public static JobOptions parse(String program, String summary, Map<String, String> declared, String[] args) {
    Map<String, String> values = new LinkedHashMap<>();
    String usage = usage(program, summary, declared);
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        System.out.println(usage);
        System.exit(0);
      }
      String name = a.startsWith("--") ? a.substring(2) : null;
      if (name == null || !declared.containsKey(name) || i + 1 >= args.length) {
        System.err.println((name == null || !declared.containsKey(name) ? "unknown option: " : "no value for: ") + a);
        System.err.println(usage);
        System.exit(2);
      }
      values.put(name, args[++i]);
    }
    Set<String> missing = new TreeSet<>();
    declared.forEach((name, doc) -> {
      if (doc.startsWith("(required)") && !values.containsKey(name)) {
        missing.add("--" + name);
      }
    });
    if (!missing.isEmpty()) {
      System.err.println("missing: " + String.join(", ", missing));
      System.err.println(usage);
      System.exit(2);
    }
    return new JobOptions(program, declared, values);
  }

  private static String usage(String program, String summary, Map<String, String> declared) {
    StringBuilder b = new StringBuilder("usage: ").append(program).append(" [options]\n").append(summary).append("\n\n");
    declared.forEach((name, doc) -> b.append(String.format("  --%-18s %s%n", name + " <v>", doc)));
    return b.toString();
  }

  /**
   * A new option list that starts with what every example stream needs: {@code --bootstrap},
   * {@code --registry} and {@code --store} (required), then {@code extra} as name, description
   * pairs.
   */
  public static Map<String, String> streamOptions(String... extra) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("bootstrap", "(required) Kafka bootstrap servers");
    options.put("registry", "(required) schema registry URL");
    options.put("store", "(required) offset store URI: zk://host:port/root, hbase://quorum/table, file:/dir");
    for (int i = 0; i + 1 < extra.length; i += 2) {
      options.put(extra[i], extra[i + 1]);
    }
    return options;
  }

  /** The value of {@code name}, or {@code fallback} when it was not given. */
  public String get(String name, String fallback) {
    check(name);
    return values.getOrDefault(name, fallback);
  }

  /** The value of a required option, or of an optional one that must be given in this case. */
  public String get(String name) {
    check(name);
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException(program + ": --" + name + " is needed here");
    }
    return v;
  }

  /** Whether {@code name} was given. */
  public boolean has(String name) {
    check(name);
    return values.containsKey(name);
  }

  /** An integer option; a value that is not one is refused, naming the option. */
  public int getInt(String name, int fallback) {
    return (int) number(name, fallback, Integer.MIN_VALUE, Integer.MAX_VALUE);
  }

  /** A long option; a value that is not one is refused, naming the option. */
  public long getLong(String name, long fallback) {
    return number(name, fallback, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  private long number(String name, long fallback, long min, long max) {
    String v = get(name, String.valueOf(fallback));
    try {
      long n = Long.parseLong(v.trim().replace("_", ""));
      if (n < min || n > max) {
        throw new NumberFormatException("out of range");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a whole number, not '" + v + "'", e);
    }
  }

  /** A guarantee given as {@code exactly-once}, {@code at-least-once}, {@code at-most-once} (or the enum names). */
  public DeliveryGuarantee guarantee(String name, DeliveryGuarantee fallback) {
    return parseGuarantee(get(name, fallback.name()));
  }

  /** {@code exactly-once} (or {@code EXACTLY_ONCE}) to the guarantee. */
  public static DeliveryGuarantee parseGuarantee(String text) {
    try {
      return DeliveryGuarantee.valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown guarantee '" + text + "': use exactly-once, at-least-once or"
          + " at-most-once", e);
    }
  }

  private void check(String name) {
    if (!declared.containsKey(name)) {
      throw new IllegalArgumentException(program + " declares no option --" + name);
    }
  }

  /**
   * Spark settings for {@code app}: {@code local[2]} on loopback without the UI unless
   * {@code spark-submit} (or {@code -Dspark.master}) chose a master.
   */
  public static SparkConf sparkConf(String app) {
    SparkConf conf = new SparkConf().setAppName(app);
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[2]").set("spark.driver.host", "127.0.0.1").set("spark.ui.enabled", "false");
    }
    return conf.setIfMissing("spark.streaming.backpressure.enabled", "false");
  }

  /** Consumer settings for a stream of byte keys and values (Tidemark keeps the offsets, not the group). */
  public static Map<String, Object> kafkaParams(String bootstrap, String group) {
    return Map.of("bootstrap.servers", bootstrap, "group.id", group,
        "key.deserializer", ByteArrayDeserializer.class, "value.deserializer", ByteArrayDeserializer.class,
        "auto.offset.reset", "earliest", "enable.auto.commit", false);
  }
}
