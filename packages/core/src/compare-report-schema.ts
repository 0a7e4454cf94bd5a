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
  /** n/a: missing on a side; unchanged: within threshold or below the floor. */
  status: z.enum(["n/a", "unchanged", "increased", "decreased"]),
  regression: z.boolean(),
});

export const compareLeakSchema = z.object({
  baseline_likely_leak: z.boolean(),
  candidate_likely_leak: z.boolean(),
  baseline_monotonic_growth: z.boolean(),
  candidate_monotonic_growth: z.boolean(),
  status: z.enum(["unchanged", "became_leak", "leak_resolved"]),
  regression: z.boolean(),
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
  baseline: compareRunRefSchema,
  candidate: compareRunRefSchema,
  /** Both arguments name the same summary.json. */
  same_run: z.boolean(),
  /** Differences between the runs that a reader should know (mode, script, versions, failures). */
  notes: z.array(z.string()),
  rules: z.object({
    threshold_pct: z.number(),
    metric_thresholds: z.partialRecord(compareMetricIdSchema, z.number()),
    min_bytes: z.number(),
    /** A candidate whose run failed is not a regression (--allow-failed). */
    allow_failed: z.boolean(),
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
});

export type CompareReport = z.infer<typeof compareReportSchema>;
export type CompareMetricId = z.infer<typeof compareMetricIdSchema>;
export type CompareMetric = z.infer<typeof compareMetricSchema>;
export type CompareSite = z.infer<typeof compareSiteSchema>;
export type CompareRunRef = z.infer<typeof compareRunRefSchema>;
export type CompareRegression = z.infer<typeof compareRegressionSchema>;
