package io.tidemark.benchmarks;

import io.tidemark.offsets.OffsetStores;
import io.tidemark.testkit.KafkaBroker;
import io.tidemark.testkit.ZooKeeperServer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.zookeeper.client.FourLetterWordMain;

/**
 * End-to-end commit latency of the {@code zk:} store against a real ZooKeeper (the testkit's
 * in-process server, which fsyncs its transaction log), with Kafka's {@code commitSync} of the
 * same offsets as the anchor (see {@link CommitLatency}). Requests per commit are what the
 * ZooKeeper server received (its {@code srvr} counter) and what the Kafka consumer sent (its
 * {@code request-total} metric).
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.tidemark.benchmarks.ZooKeeperCommitRun
 * [partitions...]} (default 1 100 1000 10000). System properties: {@code commits} (measured
 * commits per width, default 1000), {@code warmup} (default 300), {@code kafka.linger.ms} (the
 * broker's {@code group.coordinator.append.linger.ms}; default: the broker's own default).
 */
public final class ZooKeeperCommitRun {
  private static final Pattern RECEIVED = Pattern.compile("Received: (\\d+)");

  private ZooKeeperCommitRun() {}

  /** Runs the measurement and prints a Markdown table. */
  public static void main(String[] args) {
    CommitLatency.main(() -> {
      try (ZooKeeperServer zk = ZooKeeperServer.create().start(); KafkaBroker kafka = CommitLatency.broker().build().start()) {
        System.out.println("ZooKeeper " + zk.connectString());
        new CommitLatency(args).run("zk", kafka, width -> OffsetStores.open("zk://" + zk.connectString() + "/bench-"
            + width), () -> received(zk));
      }
    });
  }

  /** The requests the ZooKeeper server has received, from its {@code srvr} command. */
  private static long received(ZooKeeperServer zk) {
    try {
      String srvr = FourLetterWordMain.send4LetterWord("127.0.0.1", zk.port(), "srvr", false, 5_000);
      Matcher m = RECEIVED.matcher(srvr);
      if (!m.find()) {
        throw new IllegalStateException("no 'Received:' in ZooKeeper's srvr answer: " + srvr);
      }
      return Long.parseLong(m.group(1));
    } catch (Exception e) {
      throw new IllegalStateException("cannot ask ZooKeeper for its request count: " + e, e);
    }
  }
}
