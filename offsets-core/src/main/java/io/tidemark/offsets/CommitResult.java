package io.tidemark.offsets;

/** The outcome of an accepted {@link OffsetStore#commit}. Refusals throw {@link OffsetConflictException}. */
public enum CommitResult {
  /** The commit moved the job's position. */
  APPLIED,
  /**
   * The same batch was already stored (a retry of a commit whose outcome was unknown, or a
   * replay): nothing changed.
   */
  ALREADY_APPLIED
}
