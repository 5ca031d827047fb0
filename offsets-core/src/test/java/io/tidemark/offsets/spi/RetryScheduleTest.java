package io.tidemark.offsets.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {
  /** A clock that moves only when the schedule sleeps. */
  private final long[] now = {1_000_000_000L};
  private final List<Long> pauses = new ArrayList<>();

  private RetrySchedule schedule(Duration deadline, Duration backoff) {
    return new RetrySchedule(deadline, backoff, () -> now[0], millis -> {
      pauses.add(millis);
      now[0] += millis * 1_000_000L;
    });
  }

  @Test
  void refusesDeadlinesAndBackoffsThatCannotWork() {
    assertThatThrownBy(() -> RetrySchedule.requireDeadline(Duration.ZERO)).hasMessageContaining("must be positive");
    assertThatThrownBy(() -> RetrySchedule.requireDeadline(Duration.ofSeconds(-1))).hasMessageContaining("PT-1S");
    assertThatThrownBy(() -> RetrySchedule.requireBackoff(Duration.ofNanos(999_999))).hasMessageContaining("at least 1 ms");
    assertThat(RetrySchedule.requireBackoff(Duration.ofMillis(1))).isEqualTo(Duration.ofMillis(1));
  }

  @Test
  void pausesDoubleUntilTheNextPauseWouldPassTheDeadline() throws Exception {
    RetrySchedule s = schedule(Duration.ofMillis(250), Duration.ofMillis(40));
    while (s.pause()) {
      // each attempt failed
    }
    // 40 + 80 = 120 ms fit; a third pause of 160 ms would end after 250 ms, so it is not taken
    assertThat(pauses).containsExactly(40L, 80L);
    assertThat(s.remaining()).isEqualTo(Duration.ofMillis(130));
  }

  @Test
  void pausesGrowToTenTimesTheBackoffAndNoFurther() throws Exception {
    RetrySchedule s = schedule(Duration.ofSeconds(1), Duration.ofMillis(3));
    for (int i = 0; i < 7; i++) {
      assertThat(s.pause()).isTrue();
    }
    assertThat(pauses).containsExactly(3L, 6L, 12L, 24L, 30L, 30L, 30L);
  }

  @Test
  void remainingTimeNeverGoesNegative() throws Exception {
    RetrySchedule s = schedule(Duration.ofMillis(5), Duration.ofMillis(10));
    assertThat(s.pause()).isFalse();
    now[0] += 1_000_000_000L;
    assertThat(s.remaining()).isEqualTo(Duration.ZERO);
  }
}
