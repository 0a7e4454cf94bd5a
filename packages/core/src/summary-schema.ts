import { z } from "zod";
import { ARTIFACTS } from "./artifact-table.js";
import { ERROR_CODES, type ErrorCode } from "./error-codes.js";
import { MODES } from "./mode-rules.js";
import { OBJECT_CENSUS_METHODS, objectTypeCountSchema } from "./run-data-schemas.js";

/**
 * summary.json: the seed's schema, same names, nesting and units, plus extra fields.
 * Units: `memory.rss_*` in KB (kibibytes), `tracemalloc_*` in bytes, `rss_growth_mb` in MB,
 * `size_kb` in KB, durations in seconds. Fields may be added, never renamed.
 * Objects are loose (unknown keys pass through) so newer harnesses stay readable.
 */

const kb = z.number().describe("kibibytes");
const bytes = z.number().describe("bytes");
const errorCodes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export const memorySchema = z.looseObject({
  rss_before: kb.nullable(),
  rss_after: kb.nullable(),
  rss_delta: kb.nullable(),
  tracemalloc_current: bytes.nullable(),
  tracemalloc_peak: bytes.nullable(),
  tracemalloc_delta: bytes.nullable(),
  /** getrusage ru_maxrss of the profiled process, KB: a peak, never goes down. */
  rss_peak: kb.nullable().optional(),
  /** How current RSS was read: "proc_status_vmrss", "ps", "getrusage_maxrss". */
  rss_source: z.string().optional(),
  /**
   * Where tracemalloc_current/peak/delta come from: "tracemalloc" (Python's tracemalloc ran beside
   * memray) or "memray" (derived from memray's Python-allocator records of the same capture).
   */
  tracemalloc_source: z.enum(["tracemalloc", "memray"]).optional(),
});

export const topAllocatorSchema = z.looseObject({
  /** "path:line" of the allocating Python (or native) frame. */
  file: z.string(),
  size_kb: z.number(),
  count: z.number().int(),
  function: z.string().optional(),
});

/** An allocation site (innermost Python frame) whose live heap grew, and by how much (KB). */
export const heapSiteSchema = z.looseObject({
  /** "path:line", shortened like table.txt's sites. */
  site: z.string(),
  function: z.string(),
  growth_kb: kb,
});

export const requestRecordSchema = z.looseObject({
  request_num: z.number().int(),
  status: z.number().int().nullable(),
  duration_s: z.number().nullable(),
  rss_before: kb.nullable(),
  rss_after: kb.nullable(),
  rss_delta: kb.nullable(),
  /** The request's window (seconds since the epoch, time.time()): where it is found in the capture. */
  started_at: z.number().nullable().optional(),
  ended_at: z.number().nullable().optional(),
  /** Why the request got no answer (connection refused or dropped, timeout); status is then null. */
  error: z.string().nullable().optional(),
  /** Heap in use by the workload before/after the request and the change, from the capture (KB; null when unknown). */
  heap_before: kb.nullable().optional(),
  heap_after: kb.nullable().optional(),
  heap_delta: kb.nullable().optional(),
  /** For the requests whose heap grew most: the sites whose live bytes grew during the request. */
  heap_sites: z.array(heapSiteSchema).optional(),
});

/** A site whose live heap grew over the requests analysed (after the warm-up), biggest growth first. */
export const growthSiteSchema = heapSiteSchema.extend({
  kb_per_request: kb,
  /** On how many of `requests` analysed requests the site's live bytes grew. */
  requests_grew: z.number().int(),
  requests: z.number().int(),
});

/**
 * The leak verdict. `monotonic_growth` is the seed's rule (RSS grew on every request). `likely_leak` comes
 * from a robust estimator (`method`, Theil–Sen) of the growth per request of `source` (the heap from the
 * capture, else RSS), its confidence interval and the thresholds in `thresholds`; `reason` says why.
 */
export const leakIndicatorsSchema = z.looseObject({
  rss_growth_mb: z.number().nullable(),
  monotonic_growth: z.boolean(),
  likely_leak: z.boolean(),
  /** How likely_leak was decided: "theil-sen" (median of the pairwise slopes). */
  method: z.string().optional(),
  /** The series judged: "heap" (heap_after of each request, from the capture) or "rss" (rss_after). */
  source: z.enum(["heap", "rss"]).optional(),
  /** Growth per request of `source` (KB per request) and its confidence interval. */
  estimate_kb_per_request: z.number().nullable().optional(),
  ci_low_kb_per_request: z.number().nullable().optional(),
  ci_high_kb_per_request: z.number().nullable().optional(),
  /** Confidence level of that interval (0.95). */
  confidence: z.number().optional(),
  /** Median change between consecutive requests after the warm-up (KB). */
  median_delta_kb: z.number().nullable().optional(),
  /** Requests after the warm-up that grew by more than thresholds.grew_above_kb. */
  grew_requests: z.number().int().optional(),
  /** One-sided sign test of the requests that grew against those that shrank (p-value; null when none changed). */
  sign_test_p: z.number().nullable().optional(),
  /** Why the growth counts as significant: "ci" (the interval excludes 0), "sign-test", or null (not significant). */
  significance: z.enum(["ci", "sign-test"]).nullable().optional(),
  /** Requests that answered >= 500 or got no answer. */
  failed_requests: z.number().int().optional(),
  /** One sentence a person can read: what grew, on how many requests, the estimate, the verdict. */
  reason: z.string().optional(),
  thresholds: z
    .looseObject({
      min_samples: z.number().int(),
      min_kb_per_request: z.number(),
      min_window_growth_kb: z.number(),
      grew_above_kb: z.number(),
    })
    .optional(),
  /** Heap from the capture: growth from before the first request to after the last (MB), Theil–Sen KB per request and CI. */
  heap_growth_mb: z.number().nullable().optional(),
  heap_kb_per_request: z.number().nullable().optional(),
  heap_ci_kb_per_request: z.array(z.number().nullable()).optional(),
  heap_samples: z.number().int().optional(),
  /** Theil–Sen growth of rss_after per request (KB per request). */
  rss_kb_per_request: z.number().nullable().optional(),
  /** Least-squares slope of rss_after per request after the warm-up, KB per request (informational). */
  slope_kb_per_request: z.number().nullable().optional(),
  /** Coefficient of determination of that fit (0..1). */
  r_squared: z.number().nullable().optional(),
  warmup_requests: z.number().int().optional(),
  /** Requests after the warm-up with a value of `source`. */
  samples: z.number().int().optional(),
});

export const profilingSchema = z.looseObject({
  memray_enabled: z.boolean(),
  native_traces: z.boolean(),
  trace_python_allocators: z.boolean(),
  memray_version: z.string().nullable().optional(),
  python_version: z.string().optional(),
  mode: z.string().optional(),
});

/** Artifact paths are relative, like the seed's `runs/<run_id>/session.bin`; one key per file of core's ARTIFACTS. */
export const artifactsSchema = z.looseObject(
  Object.fromEntries(ARTIFACTS.map((artifact) => [artifact.key, z.string().optional().describe(artifact.file)])),
) as z.ZodType<Partial<Record<string, string>>>;

/** Where the run happened (the target, and the interpreter used there). */
export const targetInfoSchema = z.looseObject({
  kind: z.string(),
  name: z.string(),
  python: z.string(),
  /** The service's own port in the container (preset, exposed or --port), when known. */
  service_port: z.number().int().nullable().optional(),
});

export const errorDetailsSchema = z.looseObject({
  type: z.string(),
  message: z.string(),
  traceback: z.string(),
});

/** Headline numbers of the capture (bytes, except the count); present for every run with a session.bin. */
export const memrayStatsSchema = z.looseObject({
  peak_memory: z.number().nullable().optional(),
  total_allocations: z.number().nullable().optional(),
  total_bytes_allocated: z.number().nullable().optional(),
});

/** objects mode: the census method and the ten largest types (the full list is memray-objects.json). */
export const objectsSummarySchema = z.looseObject({
  method: z.enum(OBJECT_CENSUS_METHODS),
  total_count: z.number().int(),
  total_size: z.number().int(),
  top: z.array(objectTypeCountSchema),
});

/** snapshot mode: what was imported under the Tracker (any failed import fails the run). */
export const snapshotSummarySchema = z.looseObject({
  imported: z.array(z.looseObject({ module: z.string(), seconds: z.number() })),
  failed: z.array(z.looseObject({ module: z.string(), error: z.string() })),
  /**
   * The heavy dependencies (polars, pyarrow, numpy, pandas) imported after the service's module because its
   * environment has them (no --module given); `dependencies_absent`: those it does not have. A dependency
   * that fails to import is a warning in `dependencies_failed`, not a failed run.
   */
  dependencies: z.array(z.string()).optional(),
  dependencies_absent: z.array(z.string()).optional(),
  dependencies_failed: z.array(z.looseObject({ module: z.string(), error: z.string() })).optional(),
});

/**
 * A script's per-request data: where it was read. `run`: this run's own file ($MEMRAY_RUN_REQUESTS_FILE);
 * `seed`: the seed's fixed path /tmp/memray-run-requests.json (read by the run holding its lock, written
 * during its workload, removed once read). Null when the script wrote neither.
 */
export const requestsSourceSchema = z.looseObject({
  file: z.string(),
  kind: z.enum(["run", "seed"]),
  entries: z.number().int(),
});

/** The app a request workload served: its reference, the interface it speaks, and (ASGI) how its lifespan startup went. */
export const appSummarySchema = z.looseObject({
  ref: z.string(),
  interface: z.enum(["wsgi", "asgi"]),
  /** ASGI: `started` (lifespan startup completed), `unsupported` (the app has no lifespan); null for WSGI. */
  lifespan: z.enum(["started", "unsupported"]).nullable(),
});

/**
 * The request sent to the app, and how its path was chosen: `option` (--endpoint), else one of the app's
 * routes (`health route`: /health, /healthz, /ready, /ping; `first route`: its first route without path
 * parameters) or `default` (`/`: the app's routes could not be read).
 */
export const endpointSummarySchema = z.looseObject({
  path: z.string(),
  method: z.string(),
  chosen_by: z.enum(["option", "health route", "first route", "default"]),
  /** When chosen: the framework whose routes were read (flask, starlette) and its routes ("GET /health"). */
  framework: z.string().nullable().optional(),
  routes: z.array(z.string()).optional(),
});

/** live-web: how the serving ended and where it listened inside the target. */
export const liveSummarySchema = z.looseObject({
  stopped_by: z.string(),
  service_port: z.number().int().nullable(),
  live_port: z.number().int(),
});

/** One collector of context around the run (WireMock journal, container logs, container stats). */
export const signalCollectorSchema = z.looseObject({
  status: z.enum(["ok", "skipped", "failed"]),
  /** Files it wrote in the run directory (names, not paths). */
  files: z.array(z.string()),
  duration_seconds: z.number().nullable(),
  /** Why it failed (status failed). */
  error: z.string().nullable(),
  /** Why it was skipped (status skipped). */
  reason: z.string().nullable().optional(),
});

/** The WireMock journal: where it was read and how many calls it held (reset before the workload). */
export const wiremockSignalSchema = signalCollectorSchema.extend({
  /** Base URL of WireMock as reached from the host (127.0.0.1 or a port forward). */
  url: z.string().nullable().optional(),
  /** `option`: --wiremock / -e wiremock_url; `discovered`: a container of the target's Compose project. */
  source: z.enum(["option", "discovered"]).nullable().optional(),
  /** The container WireMock runs in, when discovered. */
  container: z.string().nullable().optional(),
  /** Requests in wiremock-requests.json (made during the run). */
  requests: z.number().int().nullable().optional(),
  /** Requests in wiremock-unmatched.json (no stub matched). */
  unmatched: z.number().int().nullable().optional(),
});

/** One container's part of a container collector: a failing container never fails the others. */
export const signalContainerSchema = z.looseObject({
  status: z.enum(["ok", "failed"]),
  error: z.string().nullable().optional(),
  /** Compose service and project, when the container has them. */
  service: z.string().nullable().optional(),
  project: z.string().nullable().optional(),
});

/** `docker logs --since --timestamps` of each container, one file per container. */
export const containerLogsSignalSchema = signalCollectorSchema.extend({
  /** Start of the window (ISO 8601 UTC): --logs-since before the collection. */
  since: z.string().nullable().optional(),
  containers: z
    .record(
      z.string(),
      signalContainerSchema.extend({
        file: z.string().nullable(),
        bytes: z.number().int().describe("bytes written to the file"),
        stdout_bytes: z.number().int().optional(),
        stderr_bytes: z.number().int().optional(),
      }),
    )
    .optional(),
});

/** Each container before and after the workload, computed as `docker stats --no-stream` computes it (bytes, percent). */
export const containerStatsSignalSchema = signalCollectorSchema.extend({
  unit: z.enum(["containers", "pods"]).optional().describe("what the entries of `containers` are (a Kubernetes run: pods); absent: containers"),
  containers: z
    .record(
      z.string(),
      signalContainerSchema.extend({
        memory_before: bytes.nullable(),
        memory_after: bytes.nullable(),
        memory_limit: bytes.nullable(),
        memory_percent_after: z.number().nullable().optional(),
        cpu_percent_after: z
          .number()
          .nullable()
          .optional()
          .describe("a container: its CPU % over the workload (docker stats' formula); a pod: metrics-server's"),
      }),
    )
    .optional(),
});

/** A merged allocation site of an attach run: the same site summed over the processes it was seen in. */
export const mergedAllocatorSchema = topAllocatorSchema.extend({
  /** The pids whose captures hold this site, largest share first. */
  processes: z.array(z.number().int()),
});

/** One process of an attach run: how it was tracked and what its capture says. */
export const attachProcessSchema = z.looseObject({
  pid: z.number().int(),
  role: z.enum(["master", "worker", "main"]),
  cmdline: z.array(z.string()),
  /** How tracking got into it: memray's debugger injection (gdb, lldb), sys.remote_exec, or the in-process agent. */
  method: z.enum(["gdb", "lldb", "sys.remote_exec", "agent"]).nullable(),
  /** tracked: a capture for the whole window; died: it ended during the window (its capture up to then); failed: tracking could not start. */
  status: z.enum(["tracked", "died", "failed"]),
  error: z.string().nullable(),
  /** The folder of its capture and reports, relative to the run directory: `processes/<pid>-<role>`. */
  dir: z.string(),
  /** Its capture (session.bin), relative to the run directory; null when none was made. */
  capture: z.string().nullable(),
  peak_memory_mb: z.number().nullable(),
  leaked_mb: z.number().nullable(),
  top_allocators: z.array(topAllocatorSchema),
  /** Its reports: artifact key → path relative to the run directory. */
  reports: z.record(z.string(), z.string()),
  /** Reports asked for but not made, and why (an aggregated capture cannot make a temporal flamegraph, ...). */
  missing_reports: z.array(z.looseObject({ report: z.string(), reason: z.string() })),
});

/** `attach`: the service's own processes tracked in place (mode attach). */
export const attachSummarySchema = z.looseObject({
  method: z.enum(["gdb", "lldb", "sys.remote_exec", "agent", "mixed"]).nullable(),
  duration_seconds: z.number(),
  aggregate: z.boolean(),
  /** What ended the window: the duration, the requests sent, or the user (Ctrl-C / SIGTERM). */
  stopped_by: z.enum(["duration", "requests", "interrupt", "error"]),
  processes: z.array(attachProcessSchema),
  /** Every process's sites summed (memray cannot merge captures; the harness merges its tables). */
  top_allocators: z.array(mergedAllocatorSchema),
});

/** `signals`: context the host collected around a container run; a failing collector never fails the run. */
export const signalsSchema = z.looseObject({
  wiremock: wiremockSignalSchema.optional(),
  container_logs: containerLogsSignalSchema.optional(),
  container_stats: containerStatsSignalSchema.optional(),
});

/**
 * How the host went away: `during` the workload (it was stopped there: the figures are partial) or the
 * reports (the workload had ended: its own outcome is kept in `outcome`, which `memray-cli recover`
 * restores). `recovered_at`: when `memray-cli recover` completed the run.
 */
export const hostLostSchema = z.looseObject({
  reason: z.string(),
  during: z.enum(["workload", "reports"]),
  outcome: z
    .looseObject({
      exit_code: z.number().int().nullable(),
      error: z.string().nullable(),
      error_code: z.enum(errorCodes).nullable(),
      error_details: errorDetailsSchema.nullable().optional(),
    })
    .nullable()
    .optional(),
  recovered_at: z.string().optional(),
});

export const summarySchema = z.looseObject({
  run_id: z.string().min(1),
  script: z.string().nullable(),
  timestamp: z.string().describe("ISO 8601 UTC, e.g. 2026-03-15T14:30:22Z"),
  exit_code: z.number().int().nullable(),
  error: z.string().nullable(),
  duration_seconds: z.number().nullable(),
  memory: memorySchema,
  top_allocators: z.array(topAllocatorSchema),
  requests: z.array(requestRecordSchema),
  leak_indicators: leakIndicatorsSchema,
  profiling: profilingSchema,
  artifacts: artifactsSchema,
  /** Extra, not in the seed: the mode that produced the run. */
  mode: z.enum(MODES).optional(),
  /** Extra: non-fatal problems (malformed requests file, a report that failed, ...). */
  warnings: z.array(z.string()).optional(),
  /** Extra: the failure's code in core's ERROR_CODES (null when the run succeeded). */
  error_code: z.enum(errorCodes).nullable().optional(),
  error_details: errorDetailsSchema.optional(),
  target: targetInfoSchema.optional(),
  memray_stats: memrayStatsSchema.optional(),
  objects: objectsSummarySchema.optional(),
  snapshot: snapshotSummarySchema.optional(),
  live: liveSummarySchema.optional(),
  attach: attachSummarySchema.optional(),
  signals: signalsSchema.optional(),
  /** Extra: sites whose live heap grew over the requests analysed (from the capture), biggest first. */
  growth_sites: z.array(growthSiteSchema).optional(),
  /** Extra (the app's workloads): the app served, WSGI or ASGI. */
  app: appSummarySchema.optional(),
  /** Extra (workloads that send requests to the app): the request, and how its path was chosen. */
  endpoint: endpointSummarySchema.optional(),
  /** Extra (script workloads): the file the per-request data was read from; null when the script wrote none. */
  requests_source: requestsSourceSchema.nullable().optional(),
  /** Extra: memray-cli (the host) went away during the run and the harness finished it alone (HOST_LOST). */
  host_lost: hostLostSchema.optional(),
});

export type Summary = z.infer<typeof summarySchema>;
export type RequestRecord = z.infer<typeof requestRecordSchema>;
export type TopAllocator = z.infer<typeof topAllocatorSchema>;
export type LeakIndicators = z.infer<typeof leakIndicatorsSchema>;
export type GrowthSite = z.infer<typeof growthSiteSchema>;
export type TargetInfo = z.infer<typeof targetInfoSchema>;
export type RequestsSource = z.infer<typeof requestsSourceSchema>;
export type AppSummary = z.infer<typeof appSummarySchema>;
export type EndpointSummary = z.infer<typeof endpointSummarySchema>;
export type MemrayStats = z.infer<typeof memrayStatsSchema>;
export type SignalCollector = z.infer<typeof signalCollectorSchema>;
export type Signals = z.infer<typeof signalsSchema>;
export type AttachSummary = z.infer<typeof attachSummarySchema>;
export type AttachProcess = z.infer<typeof attachProcessSchema>;
export type WireMockSignal = z.infer<typeof wiremockSignalSchema>;
export type ContainerLogsSignal = z.infer<typeof containerLogsSignalSchema>;
export type ContainerStatsSignal = z.infer<typeof containerStatsSignalSchema>;
