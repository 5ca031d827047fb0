package io.tidemark.cli;

import io.tidemark.serde.avro.AvroSerdeConfig;
import io.tidemark.serde.avro.compat.CompatibilityChecker;
import io.tidemark.serde.avro.compat.CompatibilityLevel;
import io.tidemark.serde.avro.registry.SchemaRegistryClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tidemark schemas}: a schema registry's subjects and versions, and local compatibility checks. */
@Command(name = "schemas", mixinStandardHelpOptions = true,
    description = "Work with a schema registry (Confluent's API, or Apicurio's ccompat API).",
    subcommands = {SchemasCommand.Subjects.class, SchemasCommand.Versions.class, SchemasCommand.Get.class,
        SchemasCommand.Check.class, SchemasCommand.Register.class, SchemasCommand.Diff.class})
final class SchemasCommand {
  private SchemasCommand() {}

  /** {@code --registry} and the serde settings that reach it (TLS, auth). */
  static final class RegistryOptions {
    @Option(names = "--registry", required = true, paramLabel = "URL", description = "The registry, e.g. http://registry:8081.")
    String url;

    @Option(names = "--registry-config", paramLabel = "KEY=VALUE",
        description = "A registry client setting (repeatable): basic.auth.user.info, bearer.auth.token,"
            + " schema.registry.ssl.* (docs/configuration/serde-avro.md).")
    Map<String, String> config = new LinkedHashMap<>();

    SchemaRegistryClient client() {
      Map<String, Object> all = new LinkedHashMap<>(config);
      all.put("schema.registry.url", url);
      return new AvroSerdeConfig(all).client();
    }
  }

  abstract static class RegistryCommand extends CliCommand {
    @Mixin
    RegistryOptions registry;
  }

  static Schema parse(Path file) throws IOException {
    try {
      return new Schema.Parser().parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (SchemaParseException e) {
      throw new CliException(ExitCodes.USAGE, file + " is not an Avro schema: " + e.getMessage());
    }
  }

  @Command(name = "subjects", mixinStandardHelpOptions = true, description = "The registry's subjects.")
  static final class Subjects extends RegistryCommand {
    @Override
    public Integer call() {
      Output o = new Output("subject");
      registry.client().subjects().stream().sorted().forEach(o::row);
      o.print(out(), json);
      return ExitCodes.OK;
    }
  }

  @Command(name = "versions", mixinStandardHelpOptions = true, description = "A subject's versions and their schema ids.")
  static final class Versions extends RegistryCommand {
    @Option(names = "--subject", required = true, description = "The subject, e.g. shipments-value.")
    String subject;

    @Override
    public Integer call() {
      SchemaRegistryClient c = registry.client();
      Output o = new Output("version", "id");
      for (int v : c.versions(subject)) {
        o.row(v, c.version(subject, v).id());
      }
      o.print(out(), json);
      return ExitCodes.OK;
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true, description = "A schema, by subject and version or by id.")
  static final class Get extends RegistryCommand {
    @Option(names = "--subject", description = "The subject (with --version).")
    String subject;

    @Option(names = "--version", defaultValue = "latest", description = "A version number, or latest (default).")
    String version;

    @Option(names = "--id", description = "A schema id (instead of --subject).")
    Integer id;

    @Override
    public Integer call() {
      SchemaRegistryClient c = registry.client();
      Schema schema;
      if (id != null) {
        schema = c.schema(id);
      } else if (subject != null) {
        schema = version.equals("latest") ? c.latest(subject).schema()
            : c.version(subject, Integer.parseInt(version)).schema();
      } else {
        throw new CliException(ExitCodes.USAGE, "name the schema: --subject S [--version N] or --id N");
      }
      out().println(schema.toString(true));
      out().flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "check", mixinStandardHelpOptions = true,
      description = "Checks a schema file against a subject's registered versions, locally, and lists every"
          + " incompatibility with its location. Exit 1 when incompatible.")
  static final class Check extends RegistryCommand {
    @Option(names = "--subject", required = true, description = "The subject.")
    String subject;

    @Option(names = "--schema", required = true, paramLabel = "FILE", description = "The new schema (.avsc).")
    Path file;

    @Option(names = "--level", description = "BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL,"
        + " FULL_TRANSITIVE or NONE (default: the subject's level in the registry, or the global one when the subject"
        + " has none).")
    String level;

    @Override
    public Integer call() throws IOException {
      Schema candidate = parse(file);
      SchemaRegistryClient c = registry.client();
      List<Schema> registered = new ArrayList<>();
      for (int v : c.versions(subject)) {
        registered.add(c.version(subject, v).schema());
      }
      CompatibilityLevel l = CompatibilityLevel.valueOf((level != null ? level : registryLevel(c))
          .trim().toUpperCase(Locale.ROOT));
      CompatibilityChecker.Result r = CompatibilityChecker.check(candidate, registered, l);
      Output o = new Output("direction", "againstVersion", "type", "location", "message");
      r.incompatibilities().forEach(i -> o.row(i.direction(), i.againstVersion(), i.type(), i.location(), i.message()));
      if (json) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("subject", subject);
        m.put("level", l.name());
        m.put("compatible", r.compatible());
        m.put("incompatibilities", o.objects());
        Output.printJson(out(), m);
      } else if (r.compatible()) {
        out().printf("compatible: %s can be registered under %s at %s (checked against %d version(s))%n", file,
            subject, l, registered.size());
      } else {
        out().printf("INCOMPATIBLE at %s with %s:%n", l, subject);
        o.print(out(), false);
      }
      out().flush();
      return r.compatible() ? ExitCodes.OK : ExitCodes.NO;
    }

    /**
     * The subject's level, or the global one when the subject reports NONE and the registry does
     * not: Apicurio answers NONE for a subject without a rule of its own, and then applies the
     * global rule when registering.
     */
    private String registryLevel(SchemaRegistryClient c) {
      String own = c.compatibility(Optional.of(subject));
      if (!own.trim().equalsIgnoreCase("NONE")) {
        return own;
      }
      String global = c.compatibility(Optional.empty());
      if (!global.trim().equalsIgnoreCase("NONE")) {
        err().printf("note: the registry reports NONE for %s and %s globally; some registries (Apicurio) report NONE"
            + " for a subject without a level of its own, so this checks at %s. Pass --level NONE if the subject's NONE"
            + " is meant.%n", subject, global, global);
        err().flush();
      }
      return global;
    }
  }

  @Command(name = "register", mixinStandardHelpOptions = true,
      description = "Registers a schema file under a subject; prints its id. The registry checks compatibility.")
  static final class Register extends RegistryCommand {
    @Option(names = "--subject", required = true, description = "The subject.")
    String subject;

    @Option(names = "--schema", required = true, paramLabel = "FILE", description = "The schema (.avsc).")
    Path file;

    @Override
    public Integer call() throws IOException {
      int id = registry.client().register(subject, parse(file));
      if (json) {
        Output.printJson(out(), Map.of("subject", subject, "id", id));
      } else {
        out().printf("registered %s under %s: id %d%n", file, subject, id);
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "diff", mixinStandardHelpOptions = true,
      description = "The fields added, removed or changed between two versions of a subject.")
  static final class Diff extends RegistryCommand {
    @Option(names = "--subject", required = true, description = "The subject.")
    String subject;

    @Option(names = "--from", required = true, description = "The older version.")
    int from;

    @Option(names = "--to", defaultValue = "latest", description = "The newer version, or latest (default).")
    String to;

    @Override
    public Integer call() {
      SchemaRegistryClient c = registry.client();
      Schema a = c.version(subject, from).schema();
      SchemaRegistryClient.SchemaVersion b = to.equals("latest") ? c.latest(subject)
          : c.version(subject, Integer.parseInt(to));
      Output o = new Output("change", "field", "from", "to");
      diff("", a, b.schema(), o);
      if (!json) {
        out().printf("%s: version %d -> %d%n", subject, from, b.version());
      }
      o.print(out(), json);
      return ExitCodes.OK;
    }

    private static void diff(String prefix, Schema a, Schema b, Output o) {
      if (a.getType() != Schema.Type.RECORD || b.getType() != Schema.Type.RECORD) {
        if (!a.equals(b)) {
          o.row("changed", prefix.isEmpty() ? "(root)" : prefix, a.toString(), b.toString());
        }
        return;
      }
      for (Schema.Field f : a.getFields()) {
        Schema.Field g = b.getField(f.name());
        String name = prefix + f.name();
        if (g == null) {
          o.row("removed", name, describe(f), null);
        } else if (f.schema().getType() == Schema.Type.RECORD && g.schema().getType() == Schema.Type.RECORD) {
          diff(name + ".", f.schema(), g.schema(), o);
        } else if (!f.schema().equals(g.schema()) || !java.util.Objects.equals(f.defaultVal(), g.defaultVal())) {
          o.row("changed", name, describe(f), describe(g));
        }
      }
      for (Schema.Field g : b.getFields()) {
        if (a.getField(g.name()) == null) {
          o.row("added", prefix + g.name(), null, describe(g));
        }
      }
    }

    private static String describe(Schema.Field f) {
      return f.schema().toString() + (f.hasDefaultValue() ? " default " + (f.defaultVal() == org.apache.avro.JsonProperties.NULL_VALUE
          ? "null" : String.valueOf(f.defaultVal())) : "");
    }
  }
}
