import type { CompareSampleStats } from "@alpiq/memray-core";

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * One side's values of a metric over its runs: median, min, max and how many runs hold it.
 * `values` keeps each run's value (null: that run does not hold the metric) in the order given.
 */
export function sampleStats(values: readonly (number | null)[]): CompareSampleStats {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return { median: null, min: null, max: null, runs: 0, values: [...values] };
  return { median: median(present), min: Math.min(...present), max: Math.max(...present), runs: present.length, values: [...values] };
}
