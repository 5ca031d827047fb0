package io.tidemark.offsets;

/** What to do when a topic the job reads does not exist (any more). */
public enum MissingTopicPolicy {
  /** Refuse to start, naming the topic (the default). */
  FAIL,
  /** Leave the topic out and go on with the others; {@link ResolvedStart#droppedTopics()} lists it. */
  DROP
}
