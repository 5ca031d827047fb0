package io.tidemark.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs {@code tidemark} in this JVM, as its {@code main} does, and keeps what it printed. */
final class Cli {
  private Cli() {}

  record Run(int code, String out, String err) {}

  static Run tidemark(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tidemark.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Run(code, out.toString(), err.toString());
  }
}
