import { STANDARD_REPORTS, type ReportName } from "./report-table.js";

/** The user-facing profiling modes (DESIGN.md "The modes"): the seed's nine, and attach. */
export const MODES = ["snapshot", "endpoint", "script", "live-web", "live-remote", "stats", "leaks", "objects", "sequence", "attach"] as const;
export type Mode = (typeof MODES)[number];

/**
 * What runs under the Tracker: `import` the modules (or the app's module); `request` ONE request to
 * the app served in-process; `requests` N requests with a delay; `serve` the app until stopped;
 * `script` the script; `script-or-requests` the script when given, else N requests to the app;
 * `attach` the service's own running processes, tracked in place for a window (no copy of the app).
 */
export type WorkloadKind = "import" | "request" | "requests" | "serve" | "script" | "script-or-requests" | "attach";

/**
 * required: the mode cannot run without it; optional: used when given or detected; fallback: needed
 * only when there is no script; none: ignored.
 */
export type Need = "required" | "optional" | "fallback" | "none";

export interface ModeRule {
  mode: Mode;
  /** Menu label. */
  title: string;
  /** One line for the menu and `--help`. */
  description: string;
  workload: WorkloadKind;
  app: Need;
  script: "required" | "optional" | "none";
  /** Tracker flags the mode forces whatever the user asked. */
  forces: { trace_python_allocators?: true };
  /** objects: memray's track_object_lifetimes where supported, a gc before/after diff otherwise. */
  objectCensus: boolean;
  /** gc.collect() before the Tracker stops, so only unreleased memory stays. */
  gcBeforeStop: boolean;
  /** Tracker writes to a SocketDestination for `memray live` instead of session.bin. */
  live: boolean;
  reports: readonly ReportName[];
  /** What table/tree/top_allocators describe: what was live at the peak, or what was never freed. */
  tableSource: "high_watermark" | "leaked";
  /** The report to open first (index.html, `runs open`); null when there is none. */
  primaryReport: ReportName | null;
  defaults: { requests: number; delaySeconds: number };
}

/** attach: how long the service's processes are tracked when --duration is not given (seconds). */
export const DEFAULT_ATTACH_SECONDS = 30;

/** The port of memray's SocketDestination in live modes (the seed's 9001). */
export const DEFAULT_LIVE_PORT = 9001;
/**
 * snapshot: the heavy dependencies the seed's snapshot imports with the service ("py_mando import and heavy
 * dependencies (Polars, PyArrow)"), imported too when the service's environment has them installed and no
 * --module was given. Listed in summary.snapshot.dependencies.
 */
export const SNAPSHOT_DEPENDENCIES = ["polars", "pyarrow", "numpy", "pandas"] as const;

/** Where the seed's scripts write per-request data (each run gets its own file; this is the default). */
export const DEFAULT_REQUESTS_FILE = "/tmp/memray-run-requests.json";

/** The standard reports plus requests.txt, for modes whose workload is one or more requests (or a script writing them). */
const WITH_REQUESTS: readonly ReportName[] = [...STANDARD_REPORTS, "requests"];

/** What most modes share: a capture to session.bin with the standard reports and one workload run. */
const CAPTURE = {
  forces: {},
  objectCensus: false,
  gcBeforeStop: false,
  live: false,
  reports: STANDARD_REPORTS,
  tableSource: "high_watermark",
  defaults: { requests: 1, delaySeconds: 0 },
} as const satisfies Partial<ModeRule>;

/** The one table of mode rules: the CLI, the menu, the recipes, runProfile and the harness read it. */
export const MODE_RULES: Readonly<Record<Mode, ModeRule>> = {
  snapshot: {
    ...CAPTURE,
    mode: "snapshot",
    title: "Snapshot",
    description: "import the service and its heavy dependencies (polars, pyarrow, numpy, pandas when installed) under memray",
    workload: "import",
    app: "optional",
    script: "none",
    primaryReport: "flamegraph",
  },
  endpoint: {
    ...CAPTURE,
    mode: "endpoint",
    title: "Endpoint",
    description: "one HTTP request, from receipt to response",
    workload: "request",
    app: "required",
    script: "none",
    primaryReport: "flamegraph",
    reports: WITH_REQUESTS,
  },
  script: {
    ...CAPTURE,
    mode: "script",
    title: "Custom script",
    description: "a test-cases/ script through the instrumented runner",
    workload: "script",
    app: "none",
    script: "required",
    primaryReport: "flamegraph",
    reports: WITH_REQUESTS,
  },
  "live-web": {
    ...CAPTURE,
    mode: "live-web",
    title: "Live web",
    description: `serve the app under a live tracker; watch it with \`memray live ${DEFAULT_LIVE_PORT}\``,
    workload: "serve",
    app: "required",
    script: "none",
    live: true,
    reports: [],
    primaryReport: null,
  },
  "live-remote": {
    ...CAPTURE,
    mode: "live-remote",
    title: "Live remote",
    description: `any workload streamed to \`memray live ${DEFAULT_LIVE_PORT}\``,
    workload: "script-or-requests",
    app: "fallback",
    script: "optional",
    live: true,
    reports: [],
    primaryReport: null,
  },
  stats: {
    ...CAPTURE,
    mode: "stats",
    title: "Stats",
    description: "allocation histogram, peak, counts, top allocators by size and by count",
    workload: "script-or-requests",
    app: "fallback",
    script: "optional",
    reports: [...WITH_REQUESTS, "stats"],
    primaryReport: "stats",
  },
  leaks: {
    ...CAPTURE,
    mode: "leaks",
    title: "Leak detection",
    description: "Python allocator tracing forced, GC before stop, leaks flamegraph",
    workload: "script-or-requests",
    app: "fallback",
    script: "optional",
    forces: { trace_python_allocators: true },
    gcBeforeStop: true,
    tableSource: "leaked",
    primaryReport: "leaks",
    reports: WITH_REQUESTS,
  },
  objects: {
    ...CAPTURE,
    mode: "objects",
    title: "Surviving objects",
    description: "live Python objects after the run, by type (count, size)",
    workload: "script-or-requests",
    app: "fallback",
    script: "optional",
    objectCensus: true,
    gcBeforeStop: true,
    primaryReport: "flamegraph",
    reports: WITH_REQUESTS,
  },
  sequence: {
    ...CAPTURE,
    mode: "sequence",
    title: "Sequence",
    description: "N requests with a delay: RSS per request, temporal flamegraph, leak verdict",
    workload: "requests",
    app: "required",
    script: "none",
    primaryReport: "temporal",
    defaults: { requests: 10, delaySeconds: 1 },
    reports: WITH_REQUESTS,
  },
  attach: {
    ...CAPTURE,
    mode: "attach",
    title: "Attach",
    description: "the service's own running processes (every worker) tracked in place for --duration seconds, under its real traffic",
    workload: "attach",
    app: "none",
    script: "none",
    tableSource: "leaked",
    primaryReport: "leaks",
    defaults: { requests: 10, delaySeconds: 0.5 },
    reports: WITH_REQUESTS,
  },
};

export const LIVE_MODES: readonly Mode[] = MODES.filter((mode) => MODE_RULES[mode].live);

export function isMode(value: string): value is Mode {
  return (MODES as readonly string[]).includes(value);
}

/** Whether a run of `mode` needs the WSGI app, given whether a script was passed. */
export function appNeed(mode: Mode, hasScript: boolean): "required" | "optional" | "none" {
  const need = MODE_RULES[mode].app;
  if (need === "fallback") return hasScript ? "none" : "required";
  return need;
}
