import type { CompareMetric, CompareReport } from "@alpiq/memray-core";
import { formatBytes, formatPct } from "./format-values.js";
import { describeConfidence } from "./spread-confidence.js";

/**
 * The gated metric that grew most, in percent of the baseline (growth from zero ranks first), or null
 * when no gated metric has both sides. Its delta_pct is the gate's `max_growth_percent`.
 */
export function largestGrowth(report: CompareReport): CompareMetric | null {
  let best: CompareMetric | null = null;
  const rank = (m: CompareMetric): number => (m.delta_pct === null ? (m.delta! > 0 ? Infinity : 0) : m.delta_pct);
  for (const m of report.metrics) {
    if (!m.gated || m.delta === null) continue;
    if (best === null || rank(m) > rank(best)) best = m;
  }
  return best;
}

/** Why a grown metric was not flagged, in words: within the baseline's spread, the threshold, or the floor. */
export function whyNotFlagged(m: CompareMetric): string {
  if (m.confidence === "within_spread") return describeConfidence(m.confidence, m.delta);
  if (m.delta_pct !== null && Math.abs(m.delta_pct) <= m.threshold_pct) return `not above the ${m.threshold_pct}% threshold`;
  if (m.min_delta !== null && m.delta !== null && Math.abs(m.delta) < m.min_delta) return `under ${formatBytes(m.min_delta)}`;
  return "not flagged";
}

/**
 * One sentence on how sure a verdict without regression is, for several runs per side: the metric that
 * grew most and why it was not flagged ("peak_memory +4.2%: within baseline spread"). Null when none grew.
 */
export function noRegressionBasis(report: CompareReport): string | null {
  const top = largestGrowth(report);
  if (!top || top.delta === null || top.delta <= 0) return null;
  const confidence = top.confidence === "within_spread" ? "" : ` (${describeConfidence(top.confidence, top.delta)})`;
  return `largest median growth: ${top.id} ${top.delta_pct === null ? "from zero" : formatPct(top.delta_pct)}, ${whyNotFlagged(top)}${confidence}`;
}
