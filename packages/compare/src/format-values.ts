import { formatBytes, type CompareMetric, type CompareSampleStats, type CompareSite } from "@alpiq/memray-core";

export { formatBytes };

export function formatPct(pct: number | null, signed = true): string {
  if (pct === null) return "n/a";
  const sign = pct < 0 ? "-" : signed && pct > 0 ? "+" : "";
  return `${sign}${Math.abs(pct).toFixed(1)}%`;
}

/** A value in the metric's unit. */
export function formatMetricValue(unit: CompareMetric["unit"], value: number | null, signed = false): string {
  if (value === null) return "n/a";
  if (unit === "bytes") return formatBytes(value, signed);
  const sign = value < 0 ? "-" : signed && value > 0 ? "+" : "";
  if (unit === "seconds") return `${sign}${Math.abs(value).toFixed(2)} s`;
  return `${sign}${Math.abs(Math.round(value)).toLocaleString("en-US")}`;
}

/** The change column of a metric: "+6.0 MiB", "0 B", or "" when n/a. */
export function formatMetricDelta(metric: CompareMetric): string {
  return metric.delta === null ? "" : formatMetricValue(metric.unit, metric.delta, true);
}

/** "site (function)" */
export function formatSiteName(site: CompareSite): string {
  return site.function ? `${site.site} (${site.function})` : site.site;
}

/** "+6.0 MiB (+30.0%)" or "+6.0 MiB (new)". */
export function formatSiteChange(site: CompareSite): string {
  const pct = site.baseline_bytes === null ? "new" : site.candidate_bytes === null ? "removed" : formatPct(site.delta_pct);
  return `${formatBytes(site.delta_bytes, true)} (${pct})`;
}

/** A side's spread: "19.8 MiB–20.3 MiB", one value when min = max, "n/a" when no run holds the metric. */
export function formatMetricRange(unit: CompareMetric["unit"], stats: CompareSampleStats): string {
  if (stats.min === null || stats.max === null) return "n/a";
  if (stats.min === stats.max) return formatMetricValue(unit, stats.min);
  return `${formatMetricValue(unit, stats.min)}–${formatMetricValue(unit, stats.max)}`;
}
