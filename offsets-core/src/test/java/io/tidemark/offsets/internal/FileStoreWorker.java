package io.tidemark.offsets.internal;

import io.tidemark.offsets.CommittedOffsets;
import io.tidemark.offsets.OffsetCommit;
import io.tidemark.offsets.OffsetRange;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * A second process for the file store's tests.
 * <ul>
 *   <li>{@code commit <dir> <partitions>}: resumes job "crash" and commits batch after batch,
 *       printing "committed N" after each, until killed. Batch N moves every partition to (N+1)*10.
 *   <li>{@code hold <dir> <job>}: claims the job, prints "holding", and exits when stdin closes.
 * </ul>
 */
public final class FileStoreWorker {
  static final String JOB = "crash";

  private FileStoreWorker() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    try (FileOffsetStore store = new FileOffsetStore(dir, true, true, 50, Clock.systemUTC())) {
      if (args[0].equals("hold")) {
        store.claim(args[2]);
        System.out.println("holding");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        return;
      }
      int partitions = Integer.parseInt(args[2]);
      long epoch = store.claim(JOB);
      CommittedOffsets state = store.read(JOB);
      long batch = state.nextBatchId().orElse(0);
      System.out.println("ready " + batch);
      System.out.flush();
      while (true) {
        long from = batch * 10;
        List<OffsetRange> ranges = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
          ranges.add(new OffsetRange("crash.topic", p, from, from + 10));
        }
        OffsetCommit.Builder commit = OffsetCommit.builder(JOB, batch, epoch).ranges(ranges).metadata("trial", "x");
        if (state.positions().isEmpty() && batch == 0) {
          ranges.forEach(r -> commit.starts(java.util.Map.of(r.topicPartition(), r.fromOffset())));
        }
        store.commit(commit.build());
        System.out.println("committed " + batch);
        System.out.flush();
        batch++;
      }
    }
  }
}
