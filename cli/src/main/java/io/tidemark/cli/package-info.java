/**
 * The {@code tidemark} command line: {@link io.tidemark.cli.Tidemark} and its {@code offsets} and
 * {@code schemas} commands. Every command answers {@code --help}, prints a table by default and
 * JSON with {@code --json}, and ends with one of the {@link io.tidemark.cli.ExitCodes}.
 */
package io.tidemark.cli;
