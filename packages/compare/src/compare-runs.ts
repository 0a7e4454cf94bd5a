import type { CompareMetric, CompareRegression, CompareReport, CompareRunRef } from "@alpiq/memray-core";
import { resolveCompareOptions, thresholdFor, type CompareOptions, type CompareOptionsInput } from "./compare-options.js";
import { diffSites, topGrowingSite } from "./diff-sites.js";
import { formatMetricValue, formatPct } from "./format-values.js";
import type { RunData } from "./load-run.js";
import { METRICS, type MetricDefinition } from "./metrics.js";

function runRef(run: RunData): CompareRunRef {
  return {
    path: run.input,
    summary_file: run.summaryFile,
    run_id: run.summary.run_id,
    script: run.summary.script,
    mode: runMode(run),
    timestamp: run.summary.timestamp,
    error: run.summary.error,
    site_source: run.siteSource,
    site_kind: run.siteKind,
  };
}

function runMode(run: RunData): string | null {
  return run.summary.mode ?? run.summary.profiling.mode ?? null;
}

function compareMetric(def: MetricDefinition, baseline: RunData, candidate: RunData, options: CompareOptions): CompareMetric {
  const a = def.extract(baseline);
  const b = def.extract(candidate);
  const gated = def.kind === "memory" || options.metricThresholds[def.id] !== undefined;
  const threshold = thresholdFor(options, def.id);
  const floor = def.unit === "bytes" ? options.minBytes : null;
  const delta = a === null || b === null ? null : b - a;
  const deltaPct = delta === null || a === null || a === 0 ? null : (100 * delta) / Math.abs(a);
  // Beyond the threshold (growth from 0 is unbounded) and at least the floor.
  const beyond =
    delta !== null && delta !== 0 && (deltaPct === null || Math.abs(deltaPct) > threshold) && Math.abs(delta) >= (floor ?? 0);
  const status: CompareMetric["status"] =
    delta === null ? "n/a" : !beyond ? "unchanged" : delta > 0 ? "increased" : "decreased";
  return {
    id: def.id,
    label: def.label,
    unit: def.unit,
    kind: def.kind,
    baseline: a,
    candidate: b,
    delta,
    delta_pct: deltaPct,
    gated,
    threshold_pct: threshold,
    min_delta: floor,
    status,
    regression: gated && status === "increased",
  };
}

function notesFor(baseline: RunData, candidate: RunData, sameRun: boolean): string[] {
  const notes: string[] = [];
  if (sameRun) notes.push("both arguments name the same run: nothing can differ");
  const modeA = runMode(baseline);
  const modeB = runMode(candidate);
  if (modeA !== modeB) {
    notes.push(`the runs differ in mode: baseline ${modeA ?? "unknown"}, candidate ${modeB ?? "unknown"}`);
  }
  if (baseline.summary.script !== candidate.summary.script) {
    notes.push(
      `the runs profile different scripts: baseline ${baseline.summary.script ?? "none"}, candidate ${candidate.summary.script ?? "none"}`,
    );
  }
  for (const [role, run] of [["baseline", baseline], ["candidate", candidate]] as const) {
    if (run.summary.error) notes.push(`the ${role} run failed: ${run.summary.error}`);
    if (!run.summary.profiling.memray_enabled) notes.push(`the ${role} run was made without memray (no memray numbers)`);
  }
  const pa = baseline.summary.profiling;
  const pb = candidate.summary.profiling;
  for (const key of ["python_version", "memray_version", "native_traces", "trace_python_allocators"] as const) {
    const va = pa[key];
    const vb = pb[key];
    if (va !== undefined && vb !== undefined && va !== vb) {
      notes.push(`the runs differ in ${key}: baseline ${String(va)}, candidate ${String(vb)}`);
    }
  }
  if (baseline.siteSource !== candidate.siteSource) {
    notes.push(
      `per-site data comes from ${baseline.siteSource} (baseline) and ${candidate.siteSource} (candidate); top_allocators holds only the largest sites`,
    );
  } else if (baseline.siteSource === "top_allocators") {
    notes.push("per-site data comes from summary.top_allocators (largest sites only): table.json is missing");
  } else if (baseline.siteSource === "none") {
    notes.push("neither run holds per-site data (no table.json, empty top_allocators)");
  }
  if (baseline.siteKind !== null && candidate.siteKind !== null && baseline.siteKind !== candidate.siteKind) {
    notes.push(`table.json differs in kind: baseline ${baseline.siteKind}, candidate ${candidate.siteKind}`);
  }
  return notes;
}

function metricMessage(m: CompareMetric): string {
  const growth = m.delta_pct === null ? "from zero" : formatPct(m.delta_pct);
  return (
    `${m.id} grew ${growth} (${formatMetricValue(m.unit, m.baseline)} → ${formatMetricValue(m.unit, m.candidate)}, ` +
    `${formatMetricValue(m.unit, m.delta, true)}), above the ${m.threshold_pct}% threshold`
  );
}

/** Why the candidate's own run failed (its error, or its non-zero exit code), or null. */
function candidateFailure(run: RunData): string | null {
  const { error, exit_code: exitCode } = run.summary;
  if (error) return error;
  if (exitCode !== null && exitCode !== 0) return `exit code ${exitCode}`;
  return null;
}

/**
 * Compare two loaded runs: every metric, the leak verdict and the per-site data, with the regression rule
 * applied (growth above the threshold and at least min-bytes on a gated metric, or the leak verdict turning
 * to likely_leak). Pure: the report is the whole result.
 */
export function compareRuns(baseline: RunData, candidate: RunData, optionsInput: CompareOptionsInput = {}): CompareReport {
  const options = resolveCompareOptions(optionsInput);
  const sameRun = baseline.summaryFile === candidate.summaryFile;
  const metrics = METRICS.map((def) => compareMetric(def, baseline, candidate, options));

  const la = baseline.summary.leak_indicators;
  const lb = candidate.summary.leak_indicators;
  const leakStatus = la.likely_leak === lb.likely_leak ? "unchanged" : lb.likely_leak ? "became_leak" : "leak_resolved";
  const leak: CompareReport["leak"] = {
    baseline_likely_leak: la.likely_leak,
    candidate_likely_leak: lb.likely_leak,
    baseline_monotonic_growth: la.monotonic_growth,
    candidate_monotonic_growth: lb.monotonic_growth,
    status: leakStatus,
    regression: leakStatus === "became_leak",
  };

  const sites = diffSites(baseline.sites, candidate.sites, { minBytes: options.minBytes, limit: options.siteLimit });
  const culprit = topGrowingSite(baseline.sites, candidate.sites);

  const regressions: CompareRegression[] = [];
  for (const m of metrics) {
    if (m.regression) {
      regressions.push({ kind: "metric", metric: m.id, message: metricMessage(m), site: culprit?.site ?? null });
    }
  }
  const failed = candidateFailure(candidate);
  if (failed && !options.allowFailed) {
    regressions.unshift({ kind: "failed_run", metric: "candidate_failed", message: `the candidate run failed: ${failed} (pass --allow-failed to compare it anyway)`, site: null });
  }
  if (leak.regression) {
    const growth = lb.rss_growth_mb !== null ? ` (RSS grew ${lb.rss_growth_mb} MB across requests)` : "";
    regressions.push({
      kind: "leak",
      metric: "likely_leak",
      message: `leak verdict flipped to likely_leak${growth}`,
      site: culprit?.site ?? null,
    });
  }

  const siteChanged = sites.counts.new + sites.counts.removed + sites.counts.grew + sites.counts.shrank > 0;
  const changed =
    metrics.some((m) => m.gated && (m.status === "increased" || m.status === "decreased")) ||
    leak.status !== "unchanged" ||
    siteChanged;
  const regression = regressions.length > 0;

  return {
    version: 1,
    tool: "memray-compare",
    baseline: runRef(baseline),
    candidate: runRef(candidate),
    same_run: sameRun,
    notes: notesFor(baseline, candidate, sameRun),
    rules: {
      threshold_pct: options.thresholdPct,
      metric_thresholds: { ...options.metricThresholds },
      min_bytes: options.minBytes,
      allow_failed: options.allowFailed,
    },
    metrics,
    leak,
    sites,
    regressions,
    top_growing_site: culprit,
    regression,
    changed,
    exit_code: regression ? 1 : 0,
    warnings: [...baseline.warnings, ...candidate.warnings],
  };
}
