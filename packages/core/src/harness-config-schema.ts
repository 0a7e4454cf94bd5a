import { z } from "zod";
import { MODES } from "./mode-rules.js";
/**
 * The longest --timeout and --delay accepted: 7 days. A run is not meant to last longer, and beyond it
 * the target's clock calls overflow (Python's thread waits end near 292 years, time_t sooner on 32 bits).
 */
export const MAX_SECONDS = 7 * 24 * 3600;
import { REPORT_NAMES } from "./report-table.js";

export const endpointRequestSchema = z.object({
  /** null: not given (--endpoint); the harness chooses one of the app's routes (a health route first). */
  path: z.string().startsWith("/", "an endpoint path starts with /").nullable(),
  method: z.string().regex(/^[A-Z]+$/, "an HTTP method such as GET or POST"),
  body: z.string().nullable(),
  headers: z.record(z.string(), z.string()),
});
export type EndpointRequest = z.infer<typeof endpointRequestSchema>;

const absolutePath = z.string().startsWith("/", "an absolute path");

/**
 * The config.json the TypeScript side writes for `python -m memray_harness --config`. Only
 * TypeScript produces it, after this schema validated it; the harness loads it into dataclasses
 * and takes everything else (what each mode does, report files, artifact keys, error codes) from
 * the generated contract.json.
 */
export const harnessConfigSchema = z.object({
  mode: z.enum(MODES),
  run_id: z.string().min(1),
  out_dir: absolutePath,
  /** Prefix of summary.artifacts paths, e.g. `runs/<run_id>`. */
  artifact_prefix: z.string(),
  /** The script as the user named it (summary.script). */
  script: z.string().nullable(),
  script_path: absolutePath.nullable(),
  script_args: z.array(z.string()),
  app: z.string().nullable(),
  app_dir: absolutePath.nullable(),
  modules: z.array(z.string()),
  endpoint: endpointRequestSchema,
  requests: z.number().int().min(1),
  delay_seconds: z.number().min(0).max(MAX_SECONDS),
  native_traces: z.boolean(),
  /** Already forced by the mode's rule where it forces it (leaks). */
  trace_python_allocators: z.boolean(),
  allow_no_memray: z.boolean(),
  install_requirements: z.boolean(),
  requests_file: absolutePath,
  reports: z.array(z.enum(REPORT_NAMES)),
  live_port: z.number().int().min(1).max(65535),
  /** Port the live-web app is served on inside the target (0 = ephemeral). */
  service_port: z.number().int().min(0).max(65535).nullable(),
  timeout_seconds: z.number().positive().max(MAX_SECONDS).nullable(),
  /** Where the run happens, recorded as summary.target. */
  target: z.object({ kind: z.string(), name: z.string(), python: z.string(), service_port: z.number().int().nullable() }),
  /** Artifact keys of files the host side adds to the run directory (harness.log, index.html). */
  host_artifacts: z.array(z.string()),
  /** When set, wait up to this long after the reports for the host's host-sections.json (signals). */
  host_sections_wait_seconds: z.number().positive().nullable(),
  /** Problems the host met preparing the run (files not copied, ...), added to summary.warnings. */
  host_warnings: z.array(z.string()),
  /** Run tracemalloc beside memray instead of deriving tracemalloc_* from the capture (slower capture). */
  tracemalloc: z.boolean(),
  /** Mode attach: the window, the processes, the capture format, and the service's real port for --requests. */
  attach: z
    .object({
      duration_seconds: z.number().positive(),
      /** --pid: these processes only; empty: every process that serves (workers, or the main process). */
      pids: z.array(z.number().int().positive()),
      /** memray's aggregated capture (bounded size for long windows). */
      aggregate: z.boolean(),
      /** Send `requests` requests to the service's own port (the endpoint above); false: observe whatever traffic comes. */
      send_requests: z.boolean(),
    })
    .nullable(),
  /**
   * A directory the host made for this run alone (config.json, the requests file): the harness removes it
   * when the host went away (HOST_LOST), since the host cannot. Null where it also holds the run's results
   * (a container's or a pod's scratch directory).
   */
  scratch_dir: absolutePath.nullable(),
});
export type HarnessConfig = z.infer<typeof harnessConfigSchema>;
