package io.tidemark.cli;

import io.tidemark.offsets.NoSuchJobException;
import io.tidemark.offsets.OffsetConflictException;
import io.tidemark.offsets.StoreUnavailableException;
import io.tidemark.serde.avro.registry.RegistryException;
import io.tidemark.serde.avro.registry.SchemaNotFoundException;
import io.tidemark.serde.avro.registry.SubjectNotFoundException;
import io.tidemark.serde.avro.registry.VersionNotFoundException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code tidemark}: the command line of Tidemark. {@code tidemark offsets ...} inspects and
 * repairs jobs' offsets in any store; {@code tidemark schemas ...} works with a schema registry.
 * Errors are one line on stderr, and the exit code says what kind ({@link ExitCodes}).
 */
@Command(name = "tidemark", mixinStandardHelpOptions = true, versionProvider = Tidemark.Version.class,
    description = "Inspect and repair Tidemark jobs' offsets and Kafka transactions, and work with a schema registry.",
    subcommands = {OffsetsCommand.class, TransactionsCommand.class, SchemasCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:done (a dry run included)", "1:no: the schema is incompatible (schemas check, schemas register)",
        "2:a wrong command line", "3:refused to change a job whose driver looks alive: it committed recently or claimed the job since (see --force)",
        "4:not found: a job, a batch, a subject, a version, a file",
        "5:a store, broker or registry could not be reached or refused the request",
        "6:the store refused the change: it conflicts with what a driver committed meanwhile"})
public final class Tidemark {

  /** The command line, with Tidemark's exit codes for its exceptions, printing to {@code out} and {@code err}. */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Tidemark());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((e, commandLine, parsed) -> {
      int code = exitCode(e);
      commandLine.getErr().println("tidemark: " + message(e));
      commandLine.getErr().flush();
      return code;
    });
    return cl;
  }

  static int exitCode(Throwable e) {
    if (e instanceof CliException c) {
      return c.exitCode();
    }
    if (e instanceof NoSuchJobException || e instanceof SubjectNotFoundException
        || e instanceof VersionNotFoundException || e instanceof SchemaNotFoundException
        || e instanceof NoSuchFileException) {
      return ExitCodes.NOT_FOUND;
    }
    if (e instanceof io.tidemark.serde.avro.registry.IncompatibleSchemaException) {
      return ExitCodes.NO;
    }
    if (e instanceof io.tidemark.offsets.JobLockedException) {
      return ExitCodes.REFUSED;
    }
    if (e instanceof io.tidemark.offsets.ConfigException) {
      return ExitCodes.USAGE;
    }
    if (e instanceof OffsetConflictException) {
      return ExitCodes.CONFLICT;
    }
    if (e instanceof StoreUnavailableException || e instanceof RegistryException || e instanceof KafkaException
        || e instanceof java.util.concurrent.TimeoutException) {
      return ExitCodes.UNAVAILABLE;
    }
    if (e instanceof IllegalArgumentException) {
      return ExitCodes.USAGE;
    }
    return ExitCodes.UNAVAILABLE;
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    if (e instanceof NoSuchFileException) {
      return "no such file: " + m;
    }
    return m == null ? e.toString() : m;
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(commandLine(out, err).execute(args));
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Tidemark.class.getPackage().getImplementationVersion();
      return new String[] {"tidemark " + (v == null ? "(development build)" : v)};
    }
  }
}
