package io.tidemark.offsets.spi;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The retry schedule of one store operation, for backends whose operations retry through
 * connection loss and server failover: pauses start at a backoff and double up to ten times it,
 * for as long as the next pause ends before the operation's deadline. Not thread-safe: one per
 * operation.
 */
public final class RetrySchedule {
  /** Sleeps; {@link Thread#sleep(long)} outside tests. */
  interface Sleeper {
    void sleep(long millis) throws InterruptedException;
  }

  private final LongSupplier nanoTime;
  private final Sleeper sleeper;
  private final long end;
  private final long maxPauseMillis;
  private long pauseMillis;

  RetrySchedule(Duration deadline, Duration backoff, LongSupplier nanoTime, Sleeper sleeper) {
    this.nanoTime = nanoTime;
    this.sleeper = sleeper;
    this.end = nanoTime.getAsLong() + requireDeadline(deadline).toNanos();
    this.pauseMillis = requireBackoff(backoff).toMillis();
    this.maxPauseMillis = pauseMillis * 10;
  }

  /** A schedule that starts now. */
  public static RetrySchedule start(Duration deadline, Duration backoff) {
    return new RetrySchedule(deadline, backoff, System::nanoTime, Thread::sleep);
  }

  /** Returns {@code deadline} if it is positive, else throws naming it. */
  public static Duration requireDeadline(Duration deadline) {
    if (Objects.requireNonNull(deadline, "deadline").isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("the operation deadline must be positive, got " + deadline);
    }
    return deadline;
  }

  /** Returns {@code backoff} if it is at least 1 ms, else throws naming it. */
  public static Duration requireBackoff(Duration backoff) {
    if (Objects.requireNonNull(backoff, "backoff").toMillis() < 1) {
      throw new IllegalArgumentException("the retry backoff must be at least 1 ms, got " + backoff);
    }
    return backoff;
  }

  /** The time left before the deadline, zero once it has passed. */
  public Duration remaining() {
    return Duration.ofNanos(Math.max(0, end - nanoTime.getAsLong()));
  }

  /**
   * Pauses before the next attempt and returns true, or returns false at once when that pause
   * would end past the deadline: the operation has failed.
   */
  public boolean pause() throws InterruptedException {
    if (nanoTime.getAsLong() + pauseMillis * 1_000_000L > end) {
      return false;
    }
    sleeper.sleep(pauseMillis);
    pauseMillis = Math.min(pauseMillis * 2, maxPauseMillis);
    return true;
  }
}
