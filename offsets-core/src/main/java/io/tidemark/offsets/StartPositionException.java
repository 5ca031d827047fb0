package io.tidemark.offsets;

/**
 * A start position could not be resolved under the job's policies: offsets deleted by retention,
 * a position above the log end, a new partition or a missing topic under a {@code FAIL} policy.
 * The message names the partition or topic, the exact offsets, and the policy that would let
 * the job continue.
 */
public class StartPositionException extends OffsetStoreException {
  private static final long serialVersionUID = 1L;

  /** With a message. */
  public StartPositionException(String message) {
    super(message);
  }
}
