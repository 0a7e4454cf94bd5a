import { z } from "zod";

/**
 * The JSON report of `memray-compare --format json` (and `memray-cli compare --format json`).
 * Units: every byte-valued metric is in bytes (RSS converted from the summary's KB), `duration_seconds`
 * in seconds, `total_allocations` a count. Percentages are relative to the baseline, `null` when the
 * baseline is 0 or either side is missing. Fields may be added, never renamed.
 */

export const COMPARE_METRIC_IDS = [
  "rss_delta",
  "rss_after",
  "tracemalloc_peak",
  "tracemalloc_current",
  "peak_memory",
  "total_bytes_allocated",
  "total_allocations",
  "request_rss_delta_mean",
  "duration_seconds",
] as const;

export const compareMetricIdSchema = z.enum(COMPARE_METRIC_IDS);

export const compareRunRefSchema = z.object({
  /** The path as given on the command line. */
  path: z.string(),
  /** The summary.json that was read. */
  summary_file: z.string(),
  run_id: z.string(),
  script: z.string().nullable(),
  mode: z.string().nullable(),
  timestamp: z.string(),
  /** The run's own error (a failed run can still be compared). */
  error: z.string().nullable(),
  /** Where the per-site data came from. */
  site_source: z.enum(["table.json", "top_allocators", "none"]),
  /** table.json's `source` when read from there ("high_watermark" or "leaked"). */
  site_kind: z.string().nullable(),
});

/**
 * One side's values of a metric over its runs (one run in the two-run form, several with
 * `--baseline A1 A2 A3 --candidate B1 B2 B3`). The spread of a side is its min–max range.
 */
export const compareSampleStatsSchema = z.object({
  /** The median of the runs that hold the metric (the mean of the middle two for an even count); null when none does. */
  median: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  /** How many runs hold the metric. */
  runs: z.number().int(),
  /** Each run's value, in the order of `baseline_runs` / `candidate_runs` (null: that run does not hold it). */
  values: z.array(z.number().nullable()),
});

/**
 * How sure a metric's verdict is, from where the candidate median lies against the baseline's spread:
 * n/a (a side lacks the metric), single_run (one baseline run: no spread to judge noise by; the threshold
 * alone decides), within_spread (the candidate median lies inside the baseline's min–max: never a
 * regression), median_outside (the candidate median lies beyond every baseline run, some candidate runs
 * do not), separated (every candidate run lies beyond every baseline run, on the same side).
 */
export const COMPARE_CONFIDENCES = ["n/a", "single_run", "within_spread", "median_outside", "separated"] as const;
export const compareConfidenceSchema = z.enum(COMPARE_CONFIDENCES);

export const compareMetricSchema = z.object({
  id: compareMetricIdSchema,
  label: z.string(),
  unit: z.enum(["bytes", "seconds", "count"]),
  /** memory metrics gate by default; informational ones only with an explicit per-metric threshold. */
  kind: z.enum(["memory", "informational"]),
  baseline: z.number().nullable(),
  candidate: z.number().nullable(),
  /** candidate − baseline; null when either side is missing. */
  delta: z.number().nullable(),
  /** 100 × delta / |baseline|; null when either side is missing or the baseline is 0. */
  delta_pct: z.number().nullable(),
  /** Whether growth of this metric can be a regression (memory metric, or explicit threshold). */
  gated: z.boolean(),
  /** The growth percentage above which this metric counts as changed (a regression when gated). */
  threshold_pct: z.number(),
  /** The absolute floor below which a change is noise (bytes metrics only, else null). */
  min_delta: z.number().nullable(),
  /** n/a: missing on a side; unchanged: within threshold, below the floor, or within the baseline's spread. */
  status: z.enum(["n/a", "unchanged", "increased", "decreased"]),
  regression: z.boolean(),
  /** The baseline side over its runs; `baseline` above is its median. */
  baseline_stats: compareSampleStatsSchema,
  /** The candidate side over its runs; `candidate` above is its median. */
  candidate_stats: compareSampleStatsSchema,
  confidence: compareConfidenceSchema,
});

export const compareLeakSchema = z.object({
  baseline_likely_leak: z.boolean(),
  candidate_likely_leak: z.boolean(),
  baseline_monotonic_growth: z.boolean(),
  candidate_monotonic_growth: z.boolean(),
  status: z.enum(["unchanged", "became_leak", "leak_resolved"]),
  regression: z.boolean(),
  /** How many baseline runs say likely_leak (a side's verdict is that of more than half of its runs). */
  baseline_likely_leak_runs: z.number().int(),
  candidate_likely_leak_runs: z.number().int(),
});

export const compareSiteSchema = z.object({
  /** "path:line" of the allocating frame. */
  site: z.string(),
  function: z.string().nullable(),
  baseline_bytes: z.number().nullable(),
  candidate_bytes: z.number().nullable(),
  /** candidate − baseline (a missing side counts as 0). */
  delta_bytes: z.number(),
  delta_pct: z.number().nullable(),
  baseline_count: z.number().nullable(),
  candidate_count: z.number().nullable(),
});

export const compareSitesSchema = z.object({
  /** Only sites whose size changed by at least this many bytes are listed. */
  min_delta_bytes: z.number(),
  /** At most this many sites are listed per category. */
  limit: z.number().int(),
  /** Sites only in the candidate, largest first. */
  new: z.array(compareSiteSchema),
  /** Sites only in the baseline, largest first. */
  removed: z.array(compareSiteSchema),
  /** Sites in both that grew, most growth first. */
  grew: z.array(compareSiteSchema),
  /** Sites in both that shrank, most shrinkage first. */
  shrank: z.array(compareSiteSchema),
  /** How many sites of each category changed by at least the floor (before the limit). */
  counts: z.object({
    new: z.number().int(),
    removed: z.number().int(),
    grew: z.number().int(),
    shrank: z.number().int(),
    /** Sites that changed, but by less than the floor. */
    below_floor: z.number().int(),
    unchanged: z.number().int(),
  }),
});

export const compareRegressionSchema = z.object({
  /** failed_run: the candidate's own run failed (error or non-zero exit code) and --allow-failed was not given. */
  kind: z.enum(["metric", "leak", "failed_run"]),
  /** A metric id, "likely_leak", or "candidate_failed". */
  metric: z.string(),
  message: z.string(),
  /** The allocation site that grew most (the likely cause), when known. */
  site: z.string().nullable(),
});

export const compareReportSchema = z.object({
  version: z.literal(1),
  tool: z.literal("memray-compare"),
  /** The (first) baseline run. */
  baseline: compareRunRefSchema,
  /** The (first) candidate run. */
  candidate: compareRunRefSchema,
  /** Both sides name the same summary.json files. */
  same_run: z.boolean(),
  /** Differences between the runs that a reader should know (mode, script, versions, failures). */
  notes: z.array(z.string()),
  rules: z.object({
    threshold_pct: z.number(),
    metric_thresholds: z.partialRecord(compareMetricIdSchema, z.number()),
    min_bytes: z.number(),
    /** A candidate whose run failed is not a regression (--allow-failed). */
    allow_failed: z.boolean(),
    /**
     * How a side's spread is measured: min_max, the range of its runs. A candidate median inside the
     * baseline's range is never a regression.
     */
    spread: z.literal("min_max"),
  }),
  metrics: z.array(compareMetricSchema),
  leak: compareLeakSchema,
  sites: compareSitesSchema,
  regressions: z.array(compareRegressionSchema),
  /** The allocation site that grew most (new or grown, any size): the likely cause of growth. */
  top_growing_site: compareSiteSchema.nullable(),
  regression: z.boolean(),
  /** Any significant change: a gated metric beyond its threshold, the leak verdict, or a listed site. */
  changed: z.boolean(),
  /** 1 on regression, 0 otherwise. */
  exit_code: z.union([z.literal(0), z.literal(1)]),
  warnings: z.array(z.string()),
  /** Every baseline run, in the order given (one in the two-run form). */
  baseline_runs: z.array(compareRunRefSchema).min(1),
  /** Every candidate run, in the order given. */
  candidate_runs: z.array(compareRunRefSchema).min(1),
});

export type CompareReport = z.infer<typeof compareReportSchema>;
export type CompareMetricId = z.infer<typeof compareMetricIdSchema>;
export type CompareMetric = z.infer<typeof compareMetricSchema>;
export type CompareSite = z.infer<typeof compareSiteSchema>;
export type CompareRunRef = z.infer<typeof compareRunRefSchema>;
export type CompareRegression = z.infer<typeof compareRegressionSchema>;
export type CompareSampleStats = z.infer<typeof compareSampleStatsSchema>;
export type CompareConfidence = z.infer<typeof compareConfidenceSchema>;
