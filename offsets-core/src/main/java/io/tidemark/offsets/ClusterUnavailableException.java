package io.tidemark.offsets;

/** Kafka did not answer a metadata or offsets request in time. The message names the request and the cause. */
public class ClusterUnavailableException extends OffsetStoreException {
  private static final long serialVersionUID = 1L;

  /** With a message and a cause. */
  public ClusterUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
