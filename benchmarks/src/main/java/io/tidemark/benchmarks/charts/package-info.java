/** SVG charts of the ratios in {@code docs/benchmarks.md}. */
package io.tidemark.benchmarks.charts;
