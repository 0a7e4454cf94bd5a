import type { CompareMetric, CompareRegression, CompareReport, CompareRunRef } from "@alpiq/memray-core";
import { resolveCompareOptions, thresholdFor, type CompareOptions, type CompareOptionsInput } from "./compare-options.js";
import { diffSites, topGrowingSite } from "./diff-sites.js";
import { formatMetricValue, formatPct } from "./format-values.js";
import type { RunData } from "./load-run.js";
import { medianSites } from "./median-sites.js";
import { METRICS, type MetricDefinition } from "./metrics.js";
import { checkRunGroup, runMode } from "./run-group.js";
import { sampleStats } from "./sample-stats.js";
import { describeConfidence, spreadConfidence } from "./spread-confidence.js";

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

function compareMetric(def: MetricDefinition, baselines: readonly RunData[], candidates: readonly RunData[], options: CompareOptions): CompareMetric {
  const baselineStats = sampleStats(baselines.map((run) => def.extract(run)));
  const candidateStats = sampleStats(candidates.map((run) => def.extract(run)));
  const a = baselineStats.median;
  const b = candidateStats.median;
  const confidence = spreadConfidence(baselineStats, candidateStats);
  const gated = def.kind === "memory" || options.metricThresholds[def.id] !== undefined;
  const threshold = thresholdFor(options, def.id);
  const floor = def.unit === "bytes" ? options.minBytes : null;
  const delta = a === null || b === null ? null : b - a;
  const deltaPct = delta === null || a === null || a === 0 ? null : (100 * delta) / Math.abs(a);
  // Beyond the threshold (growth from 0 is unbounded), at least the floor, and outside the baseline's spread.
  const beyond =
    delta !== null && delta !== 0 && (deltaPct === null || Math.abs(deltaPct) > threshold) && Math.abs(delta) >= (floor ?? 0) && confidence !== "within_spread";
  const status: CompareMetric["status"] = delta === null ? "n/a" : !beyond ? "unchanged" : delta > 0 ? "increased" : "decreased";
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
    baseline_stats: baselineStats,
    candidate_stats: candidateStats,
    confidence,
  };
}

const distinct = <T>(values: readonly T[]): T[] => [...new Set(values)];

function notesFor(baselines: readonly RunData[], candidates: readonly RunData[], sameRun: boolean): string[] {
  const notes: string[] = [];
  const multi = baselines.length > 1 || candidates.length > 1;
  if (sameRun) notes.push(multi ? "both sides name the same runs: nothing can differ" : "both arguments name the same run: nothing can differ");
  const modeA = runMode(baselines[0]!);
  const modeB = runMode(candidates[0]!);
  if (modeA !== modeB) {
    notes.push(`the runs differ in mode: baseline ${modeA ?? "unknown"}, candidate ${modeB ?? "unknown"}`);
  }
  const scriptA = baselines[0]!.summary.script;
  const scriptB = candidates[0]!.summary.script;
  if (scriptA !== scriptB) {
    notes.push(`the runs profile different scripts: baseline ${scriptA ?? "none"}, candidate ${scriptB ?? "none"}`);
  }
  for (const [role, runs] of [
    ["baseline", baselines],
    ["candidate", candidates],
  ] as const) {
    for (const run of runs) {
      const which = runs.length > 1 ? `the ${role} run ${run.input}` : `the ${role} run`;
      if (run.summary.error) notes.push(`${which} failed: ${run.summary.error}`);
      if (!run.summary.profiling.memray_enabled) notes.push(`${which} was made without memray (no memray numbers)`);
    }
  }
  for (const key of ["python_version", "memray_version", "native_traces", "trace_python_allocators"] as const) {
    const va = distinct(
      baselines
        .map((r) => r.summary.profiling[key])
        .filter((v) => v !== undefined)
        .map(String),
    );
    const vb = distinct(
      candidates
        .map((r) => r.summary.profiling[key])
        .filter((v) => v !== undefined)
        .map(String),
    );
    if (va.length > 0 && vb.length > 0 && distinct([...va, ...vb]).length > 1) {
      notes.push(`the runs differ in ${key}: baseline ${va.join(", ")}, candidate ${vb.join(", ")}`);
    }
  }
  const sourceA = distinct(baselines.map((r) => r.siteSource));
  const sourceB = distinct(candidates.map((r) => r.siteSource));
  if (sourceA.length > 1 || sourceB.length > 1 || sourceA[0] !== sourceB[0]) {
    notes.push(`per-site data comes from ${sourceA.join(", ")} (baseline) and ${sourceB.join(", ")} (candidate); top_allocators holds only the largest sites`);
  } else if (sourceA[0] === "top_allocators") {
    notes.push("per-site data comes from summary.top_allocators (largest sites only): table.json is missing");
  } else if (sourceA[0] === "none") {
    notes.push("neither run holds per-site data (no table.json, empty top_allocators)");
  }
  const kinds = distinct([...baselines, ...candidates].map((r) => r.siteKind).filter((k): k is string => k !== null));
  if (kinds.length > 1) {
    const kindA = distinct(baselines.map((r) => r.siteKind).filter((k) => k !== null));
    const kindB = distinct(candidates.map((r) => r.siteKind).filter((k) => k !== null));
    notes.push(`table.json differs in kind: baseline ${kindA.join(", ") || "none"}, candidate ${kindB.join(", ") || "none"}`);
  }
  return notes;
}

function metricMessage(m: CompareMetric, multi: boolean): string {
  const growth = m.delta_pct === null ? "from zero" : formatPct(m.delta_pct);
  const values = `${formatMetricValue(m.unit, m.baseline)} → ${formatMetricValue(m.unit, m.candidate)}, ${formatMetricValue(m.unit, m.delta, true)}`;
  if (!multi) return `${m.id} grew ${growth} (${values}), above the ${m.threshold_pct}% threshold`;
  const base = m.baseline_stats;
  const range = `baseline ${formatMetricValue(m.unit, base.min)}–${formatMetricValue(m.unit, base.max)} over ${base.runs} runs`;
  return `${m.id} grew ${growth} (medians ${values}), above the ${m.threshold_pct}% threshold; ${describeConfidence(m.confidence, m.delta)} (${range})`;
}

/** Why a candidate run failed (its error, or its non-zero exit code), or null. */
function candidateFailure(run: RunData): string | null {
  const { error, exit_code: exitCode } = run.summary;
  if (error) return error;
  if (exitCode !== null && exitCode !== 0) return `exit code ${exitCode}`;
  return null;
}

/** A side's verdict: likely_leak (or monotonic growth) in more than half of its runs. */
const majority = (flags: readonly boolean[]): boolean => flags.filter(Boolean).length * 2 > flags.length;

const asList = (runs: RunData | readonly RunData[]): readonly RunData[] => (Array.isArray(runs) ? runs : [runs as RunData]);

/**
 * Compare runs: every metric, the leak verdict and the per-site data, with the regression rule applied
 * (growth above the threshold and at least min-bytes on a gated metric, or the leak verdict turning to
 * likely_leak). Each side is one run or several repeats of one workload: then the medians of the sides
 * are compared, and a candidate median inside the baseline's min–max spread is never a regression.
 * Pure: the report is the whole result. Throws MixedRunGroupError when a side's runs cannot be pooled.
 */
export function compareRuns(
  baseline: RunData | readonly RunData[],
  candidate: RunData | readonly RunData[],
  optionsInput: CompareOptionsInput = {},
): CompareReport {
  const options = resolveCompareOptions(optionsInput);
  const baselines = asList(baseline);
  const candidates = asList(candidate);
  checkRunGroup(baselines, "baseline");
  checkRunGroup(candidates, "candidate");
  const multi = baselines.length > 1 || candidates.length > 1;
  const files = (runs: readonly RunData[]) =>
    runs
      .map((r) => r.summaryFile)
      .sort()
      .join("\n");
  const sameRun = files(baselines) === files(candidates);
  const metrics = METRICS.map((def) => compareMetric(def, baselines, candidates, options));

  const leakA = baselines.map((r) => r.summary.leak_indicators);
  const leakB = candidates.map((r) => r.summary.leak_indicators);
  const likelyA = majority(leakA.map((l) => l.likely_leak));
  const likelyB = majority(leakB.map((l) => l.likely_leak));
  const leakStatus = likelyA === likelyB ? "unchanged" : likelyB ? "became_leak" : "leak_resolved";
  const leak: CompareReport["leak"] = {
    baseline_likely_leak: likelyA,
    candidate_likely_leak: likelyB,
    baseline_monotonic_growth: majority(leakA.map((l) => l.monotonic_growth)),
    candidate_monotonic_growth: majority(leakB.map((l) => l.monotonic_growth)),
    status: leakStatus,
    regression: leakStatus === "became_leak",
    baseline_likely_leak_runs: leakA.filter((l) => l.likely_leak).length,
    candidate_likely_leak_runs: leakB.filter((l) => l.likely_leak).length,
  };

  const sitesA = medianSites(baselines);
  const sitesB = medianSites(candidates);
  const sites = diffSites(sitesA, sitesB, { minBytes: options.minBytes, limit: options.siteLimit });
  const culprit = topGrowingSite(sitesA, sitesB);

  const regressions: CompareRegression[] = [];
  for (const m of metrics) {
    if (m.regression) {
      regressions.push({ kind: "metric", metric: m.id, message: metricMessage(m, multi), site: culprit?.site ?? null });
    }
  }
  if (!options.allowFailed) {
    const failures: CompareRegression[] = [];
    for (const run of candidates) {
      const failed = candidateFailure(run);
      if (!failed) continue;
      const which = candidates.length > 1 ? `the candidate run ${run.input}` : "the candidate run";
      failures.push({
        kind: "failed_run",
        metric: "candidate_failed",
        message: `${which} failed: ${failed} (pass --allow-failed to compare it anyway)`,
        site: null,
      });
    }
    regressions.unshift(...failures);
  }
  if (leak.regression) {
    const growths = leakB.map((l) => l.rss_growth_mb).filter((g): g is number => g !== null);
    const growth =
      growths.length === 0
        ? ""
        : candidates.length > 1
          ? ` (RSS grew ${growths.join(", ")} MB across requests)`
          : ` (RSS grew ${growths[0]} MB across requests)`;
    const runs = candidates.length > 1 ? ` in ${leak.candidate_likely_leak_runs} of ${candidates.length} candidate runs` : "";
    regressions.push({
      kind: "leak",
      metric: "likely_leak",
      message: `leak verdict flipped to likely_leak${runs}${growth}`,
      site: culprit?.site ?? null,
    });
  }

  const siteChanged = sites.counts.new + sites.counts.removed + sites.counts.grew + sites.counts.shrank > 0;
  const changed = metrics.some((m) => m.gated && (m.status === "increased" || m.status === "decreased")) || leak.status !== "unchanged" || siteChanged;
  const regression = regressions.length > 0;

  return {
    version: 1,
    tool: "memray-compare",
    baseline: runRef(baselines[0]!),
    candidate: runRef(candidates[0]!),
    same_run: sameRun,
    notes: notesFor(baselines, candidates, sameRun),
    rules: {
      threshold_pct: options.thresholdPct,
      metric_thresholds: { ...options.metricThresholds },
      min_bytes: options.minBytes,
      allow_failed: options.allowFailed,
      spread: "min_max",
    },
    metrics,
    leak,
    sites,
    regressions,
    top_growing_site: culprit,
    regression,
    changed,
    exit_code: regression ? 1 : 0,
    warnings: [...baselines, ...candidates].flatMap((r) => r.warnings),
    baseline_runs: baselines.map(runRef),
    candidate_runs: candidates.map(runRef),
  };
}
