/** The schema-evolution example: a producer moving from v1 to v2 under a running job, and a refused v3. */
package io.tidemark.examples.evolution;
