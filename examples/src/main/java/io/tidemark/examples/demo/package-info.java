/** The one-command demo ({@code bin/demo}): the dashboard on an embedded stack, killed, restarted and verified. */
package io.tidemark.examples.demo;
