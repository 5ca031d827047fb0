/** Internal to the Spark adapters; not API. */
package io.tidemark.spark.internal;
