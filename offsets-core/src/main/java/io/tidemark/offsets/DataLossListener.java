package io.tidemark.offsets;

/** Told of every {@link DataLossEvent} when a start position is resolved. Called on the resolving thread. */
@FunctionalInterface
public interface DataLossListener {
  /** One event; an exception thrown here fails the resolution. */
  void onDataLoss(DataLossEvent event);
}
