package io.tidemark.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What every command shares: {@code --json}, and the command line's output stream. */
abstract class CliCommand implements Callable<Integer> {
  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Spec
  CommandSpec spec;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** For notes that must not mix with the output (which may be JSON). */
  PrintWriter err() {
    return spec.commandLine().getErr();
  }
}
