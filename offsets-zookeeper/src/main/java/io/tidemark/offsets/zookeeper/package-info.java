/**
 * The ZooKeeper offset store: {@link io.tidemark.offsets.zookeeper.ZooKeeperOffsetStore}, opened
 * from {@code zk://} URIs by {@link io.tidemark.offsets.zookeeper.ZooKeeperStoreProvider} or built
 * around a Curator client you own. One {@code multi} transaction per commit, fenced by the writer
 * epoch's znode version; offsets stored as readable decimal text.
 */
package io.tidemark.offsets.zookeeper;
