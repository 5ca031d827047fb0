/** The fraud-detection example: at-least-once alerts, malformed records to a dead-letter topic. */
package io.tidemark.examples.fraud;
