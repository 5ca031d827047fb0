/**
 * The HBase offset store: {@link io.tidemark.offsets.hbase.HBaseOffsetStore}, opened from
 * {@code hbase://} URIs by {@link io.tidemark.offsets.hbase.HBaseStoreProvider} or built around an
 * HBase connection you own. One {@code checkAndMutate} of the job's head row per commit, fenced by
 * the writer epoch; offsets stored as readable decimal text.
 */
package io.tidemark.offsets.hbase;
