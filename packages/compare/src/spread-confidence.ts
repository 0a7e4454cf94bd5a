import type { CompareConfidence, CompareSampleStats } from "@alpiq/memray-core";

/**
 * Where the candidate median lies against the baseline's spread (the min–max range of its runs):
 * `within_spread` inside it (never a regression), `median_outside` beyond every baseline run while some
 * candidate runs are not, `separated` every candidate run beyond every baseline run. With one baseline
 * run there is no spread to judge noise by (`single_run`); `n/a` when a side lacks the metric.
 */
export function spreadConfidence(baseline: CompareSampleStats, candidate: CompareSampleStats): CompareConfidence {
  if (baseline.median === null || candidate.median === null) return "n/a";
  if (baseline.runs < 2) return "single_run";
  const lo = baseline.min!;
  const hi = baseline.max!;
  const m = candidate.median;
  if (m >= lo && m <= hi) return "within_spread";
  if (m > hi) return candidate.min! > hi ? "separated" : "median_outside";
  return candidate.max! < lo ? "separated" : "median_outside";
}

/** The confidence in words, for the direction of the change ("every candidate run above every baseline run"). */
export function describeConfidence(confidence: CompareConfidence, delta: number | null): string {
  const side = delta !== null && delta < 0 ? "below" : "above";
  switch (confidence) {
    case "separated":
      return `every candidate run ${side} every baseline run`;
    case "median_outside":
      return `candidate median ${side} every baseline run`;
    case "within_spread":
      return "within baseline spread";
    case "single_run":
      return "one baseline run: no spread to judge noise by";
    default:
      return "";
  }
}
