/** The real-time dashboard example: units shipped per minute, exactly once into HBase or files. */
package io.tidemark.examples.dashboard;
