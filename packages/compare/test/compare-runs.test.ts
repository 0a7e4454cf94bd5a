import { compareReportSchema, InvalidOptionError, type CompareMetricId, type CompareReport, type Summary } from "@alpiq/memray-core";
import { describe, expect, it } from "vitest";
import { compareRuns, type RunData, type RunSite } from "../src/index.js";
import { fakeSummary, MiB } from "./fake-runs.js";

let counter = 0;
function run(summary: Summary, sites: RunSite[] | null = null, extra: Partial<RunData> = {}): RunData {
  const stats = (summary as Record<string, unknown>)["memray_stats"] as
    | { peak_memory?: number | null; total_allocations?: number | null; total_bytes_allocated?: number | null }
    | undefined;
  counter += 1;
  return {
    input: `runs/${summary.run_id}`,
    dir: `/runs/${summary.run_id}`,
    summaryFile: `/runs/${summary.run_id}-${counter}/summary.json`,
    summary,
    sites: sites ?? summary.top_allocators.map((t) => ({ site: t.file, function: t.function ?? null, sizeBytes: t.size_kb * 1024, count: t.count })),
    siteSource: "table.json",
    siteKind: "high_watermark",
    tableTotalBytes: null,
    memrayStats: {
      peakMemory: stats?.peak_memory ?? null,
      totalAllocations: stats?.total_allocations ?? null,
      totalBytesAllocated: stats?.total_bytes_allocated ?? null,
    },
    warnings: [],
    ...extra,
  };
}

const metric = (report: CompareReport, id: CompareMetricId) => report.metrics.find((m) => m.id === id)!;

describe("compareRuns", () => {
  it("flags growth above 20% on memory metrics and names the site that grew most", () => {
    const report = compareRuns(run(fakeSummary(20)), run(fakeSummary(26)));
    expect(report.regression).toBe(true);
    expect(report.exit_code).toBe(1);
    const ids = report.regressions.map((r) => r.metric);
    expect(ids).toEqual(expect.arrayContaining(["rss_delta", "tracemalloc_peak", "tracemalloc_current", "peak_memory"]));
    expect(ids).not.toContain("rss_after"); // 30000 KB base: +6 MiB is < 20%
    expect(report.top_growing_site?.site).toBe("workload.py:4");
    expect(report.regressions[0]!.site).toBe("workload.py:4");
    expect(metric(report, "rss_delta")).toMatchObject({ baseline: 20 * MiB, candidate: 26 * MiB, delta: 6 * MiB, unit: "bytes" });
    expect(metric(report, "rss_delta").delta_pct).toBeCloseTo(30);
    expect(report.sites.grew.map((s) => s.site)).toEqual(["workload.py:4"]);
    expect(compareReportSchema.parse(report)).toEqual(report);
  });

  it("does not flag 10% growth, but reports it as a change", () => {
    const report = compareRuns(run(fakeSummary(20)), run(fakeSummary(22)));
    expect(report.regression).toBe(false);
    expect(report.exit_code).toBe(0);
    expect(report.changed).toBe(true);
    expect(metric(report, "tracemalloc_peak").status).toBe("unchanged");
    expect(report.sites.grew[0]).toMatchObject({ site: "workload.py:4", delta_bytes: 2 * MiB });
  });

  it("reports no change for identical runs", () => {
    const summary = fakeSummary(20);
    const report = compareRuns(run(summary), run(structuredClone(summary)));
    expect(report.regression).toBe(false);
    expect(report.changed).toBe(false);
    expect(report.metrics.every((m) => m.status === "unchanged" || m.status === "n/a")).toBe(true);
    expect(report.metrics.filter((m) => m.delta !== null).every((m) => m.delta === 0)).toBe(true);
    expect(report.sites.counts).toMatchObject({ new: 0, removed: 0, grew: 0, shrank: 0, below_floor: 0 });
    expect(report.top_growing_site).toBeNull();
  });

  it("--threshold changes the rule, a per-metric threshold overrides one metric", () => {
    const a = run(fakeSummary(20));
    const b = run(fakeSummary(26));
    expect(compareRuns(a, b, { thresholdPct: 35 }).regression).toBe(false);
    const report = compareRuns(a, b, { thresholdPct: 35, metricThresholds: { rss_delta: 25 } });
    expect(report.regressions.map((r) => r.metric)).toEqual(["rss_delta"]);
    expect(metric(report, "rss_delta").threshold_pct).toBe(25);
    expect(report.rules).toEqual({ threshold_pct: 35, metric_thresholds: { rss_delta: 25 }, min_bytes: MiB, allow_failed: false, spread: "min_max" });
    // growth equal to the threshold is not above it
    expect(compareRuns(run(fakeSummary(20)), run(fakeSummary(25)), { metricThresholds: { rss_delta: 25 } }).regressions.map((r) => r.metric)).not.toContain(
      "rss_delta",
    );
  });

  it("applies the --min-bytes floor after converting RSS from KB to bytes", () => {
    // rss_delta 100 KB → 300 KB: +200% but only 200 KiB
    const a = run(fakeSummary(20, { memory: { rss_delta: 100 } }));
    const b = run(fakeSummary(20, { memory: { rss_delta: 300 } }));
    const report = compareRuns(a, b);
    expect(metric(report, "rss_delta")).toMatchObject({ delta: 200 * 1024, status: "unchanged", regression: false, min_delta: MiB });
    const lowered = compareRuns(a, b, { minBytes: 100 * 1024 });
    expect(metric(lowered, "rss_delta")).toMatchObject({ status: "increased", regression: true });
  });

  it("shows missing metrics as n/a and never flags them", () => {
    const a = run(fakeSummary(20, { memory: { tracemalloc_peak: null }, memray_stats: undefined }));
    const b = run(fakeSummary(200));
    const report = compareRuns(a, b);
    expect(metric(report, "tracemalloc_peak")).toMatchObject({ status: "n/a", delta: null, delta_pct: null, regression: false });
    expect(metric(report, "peak_memory")).toMatchObject({ baseline: null, status: "n/a", regression: false });
    expect(metric(report, "total_bytes_allocated").status).toBe("n/a");
  });

  it("a leak verdict flipping to likely_leak is a regression; the reverse is not", () => {
    const clean = fakeSummary(20);
    const leaky = fakeSummary(20, { leak_indicators: { likely_leak: true, monotonic_growth: true, rss_growth_mb: 12.5 } });
    const worse = compareRuns(run(clean), run(leaky));
    expect(worse.leak).toMatchObject({ status: "became_leak", regression: true });
    expect(worse.regressions).toEqual([expect.objectContaining({ kind: "leak", metric: "likely_leak" })]);
    expect(worse.regressions[0]!.message).toContain("12.5 MB");
    expect(worse.exit_code).toBe(1);
    const better = compareRuns(run(leaky), run(clean));
    expect(better.leak).toMatchObject({ status: "leak_resolved", regression: false });
    expect(better.exit_code).toBe(0);
    expect(better.changed).toBe(true);
  });

  it("duration and allocation count are informational unless given an explicit threshold", () => {
    const a = run(fakeSummary(20, { duration_seconds: 1, memray_stats: { peak_memory: 20 * MiB, total_allocations: 100, total_bytes_allocated: null } }));
    const b = run(fakeSummary(20, { duration_seconds: 3, memray_stats: { peak_memory: 20 * MiB, total_allocations: 500, total_bytes_allocated: null } }));
    const report = compareRuns(a, b);
    expect(metric(report, "duration_seconds")).toMatchObject({ kind: "informational", gated: false, status: "increased", regression: false, min_delta: null });
    expect(metric(report, "total_allocations")).toMatchObject({ unit: "count", status: "increased", regression: false });
    expect(report.regression).toBe(false);
    expect(report.changed).toBe(false);
    const gated = compareRuns(a, b, { metricThresholds: { duration_seconds: 50 } });
    expect(metric(gated, "duration_seconds")).toMatchObject({ gated: true, regression: true });
    expect(gated.exit_code).toBe(1);
  });

  it("treats total bytes allocated and the mean per-request RSS delta as memory metrics", () => {
    const requests = (deltaKb: number) =>
      [1, 2, 3].map((n) => ({ request_num: n, status: 200, duration_s: 0.1, rss_before: 1000, rss_after: 1000 + deltaKb, rss_delta: deltaKb }));
    const a = run(fakeSummary(20, { requests: requests(2048), memray_stats: { peak_memory: 1, total_allocations: 1, total_bytes_allocated: 100 * MiB } }));
    const b = run(fakeSummary(20, { requests: requests(4096), memray_stats: { peak_memory: 1, total_allocations: 1, total_bytes_allocated: 150 * MiB } }));
    const report = compareRuns(a, b);
    expect(metric(report, "request_rss_delta_mean")).toMatchObject({ baseline: 2 * MiB, candidate: 4 * MiB, regression: true });
    expect(metric(report, "total_bytes_allocated")).toMatchObject({ delta_pct: 50, regression: true });
  });

  it("growth from zero is unbounded (no percentage) and flags when above the floor", () => {
    const report = compareRuns(run(fakeSummary(20, { memory: { rss_delta: 0 } })), run(fakeSummary(20, { memory: { rss_delta: 4096 } })));
    expect(metric(report, "rss_delta")).toMatchObject({ delta_pct: null, status: "increased", regression: true });
    expect(report.regressions[0]!.message).toContain("from zero");
  });

  it("says when the runs differ in mode, script, versions or site data, and when a run failed", () => {
    const a = run(fakeSummary(20), null, { siteSource: "table.json" });
    const b = run(fakeSummary(20, { mode: "sequence", script: "other.py", error: "boom", profiling: { python_version: "3.13.5" } }), null, {
      siteSource: "top_allocators",
      siteKind: null,
    });
    const report = compareRuns(a, b);
    const notes = report.notes.join("\n");
    expect(notes).toContain("differ in mode: baseline script, candidate sequence");
    expect(notes).toContain("different scripts: baseline workload.py, candidate other.py");
    expect(notes).toContain("the candidate run failed: boom");
    expect(notes).toContain("python_version");
    expect(notes).toContain("top_allocators");
    expect(report.candidate).toMatchObject({ mode: "sequence", error: "boom", site_source: "top_allocators" });
  });

  it("marks the same run given twice", () => {
    const a = run(fakeSummary(20));
    const report = compareRuns(a, { ...a });
    expect(report.same_run).toBe(true);
    expect(report.changed).toBe(false);
    expect(report.notes[0]).toContain("same run");
  });

  it("validates options once, naming the option", () => {
    const a = run(fakeSummary(20));
    expect(() => compareRuns(a, a, { thresholdPct: -1 })).toThrow(InvalidOptionError);
    expect(() => compareRuns(a, a, { thresholdPct: -1 })).toThrow(/thresholdPct/);
    expect(() => compareRuns(a, a, { metricThresholds: { nope: 3 } as never })).toThrow(/metricThresholds/);
    expect(() => compareRuns(a, a, { minBytes: Number.NaN })).toThrow(/minBytes/);
  });
});
