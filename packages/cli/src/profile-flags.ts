import { Option, type Command } from "commander";
import { DEFAULT_LIVE_PORT, MODES, type ProfileOptionField } from "@alpiq/memray-core";

/** A `profile` option as the CLI names it, beside core's field name and the seed's recipe key. */
export type ProfileFlagField =
  | ProfileOptionField
  | "target"
  | "local"
  | "out"
  | "name"
  | "json"
  | "quiet"
  | "baseline"
  | "repeat"
  | SignalsFlagField
  | KubernetesFlagField;

/** Where a Kubernetes target is (handled by the CLI: they choose the pod, not what runs in it). */
export type KubernetesFlagField = "selector" | "namespace" | "container" | "context";

/** The signals' own flags (handled by the CLI, not by core's profile options). */
export type SignalsFlagField = "wiremock" | "logsSince" | "signalsTimeout" | "signals";

export interface FlagSpec {
  field: ProfileFlagField;
  /** Commander syntax: `--requests <n>`. */
  flags: string;
  description: string;
  /** The seed's `-e` key for the same option in `run debug/...` recipes. */
  recipeKey?: string;
  repeatable?: boolean;
  /** Shown in help; the value itself is checked by core's schema. */
  defaultText?: string;
}

/** Every `profile` flag, once: commander options, recipe keys and error labels are built from it. */
export const PROFILE_FLAGS: readonly FlagSpec[] = [
  { field: "mode", flags: "--mode <mode>", description: `profiling mode: ${MODES.join(", ")}`, recipeKey: "profile_mode" },
  {
    field: "target",
    flags: "--target <container>",
    description: "container name, id prefix or Compose service; pod/NAME or deploy/NAME for a Kubernetes pod",
    recipeKey: "container_target",
  },
  { field: "selector", flags: "-l, --selector <selector>", description: "Kubernetes: one Ready pod matching this label selector (e.g. app=forecast)" },
  { field: "namespace", flags: "-n, --namespace <namespace>", description: "Kubernetes: the pod's namespace (default: the context's, else default)" },
  { field: "container", flags: "--container <name>", description: "Kubernetes: the container in the pod (default: kubectl's default container)" },
  {
    field: "context",
    flags: "--context <name>",
    description: "Kubernetes: the kubeconfig context (default: its current-context; KUBECONFIG is read like kubectl does)",
  },
  { field: "local", flags: "--local", description: "profile on this host (default when no --target)" },
  { field: "script", flags: "--script <path>", description: "Python script to run under the instrumented runner", recipeKey: "script_path" },
  {
    field: "endpoint",
    flags: "--endpoint <path>",
    description: "endpoint path (endpoint, sequence; the workload of stats/leaks/objects without a script)",
    recipeKey: "endpoint_path",
    defaultText: "the app's health route (/health, /healthz, /ready, /ping), else its first route without path parameters",
  },
  { field: "method", flags: "--method <method>", description: "HTTP method", recipeKey: "endpoint_method", defaultText: "GET, POST with --body" },
  { field: "body", flags: "--body <json>", description: "JSON request body", recipeKey: "request_body" },
  { field: "headers", flags: "--header <name:value>", description: "request header (repeatable)", repeatable: true },
  { field: "requests", flags: "--requests <n>", description: "number of requests", recipeKey: "request_count", defaultText: "10 in sequence mode, else 1" },
  {
    field: "delaySeconds",
    flags: "--delay <seconds>",
    description: "delay between requests",
    recipeKey: "delay_seconds",
    defaultText: "1 in sequence mode, else 0",
  },
  { field: "app", flags: "--app <module:attr>", description: "WSGI app, when it cannot be found from the container's command", recipeKey: "app" },
  { field: "port", flags: "--port <n>", description: "the service's port, when it cannot be detected", recipeKey: "port" },
  {
    field: "traceAllocators",
    flags: "--trace-allocators <True|False>",
    description: "trace Python allocators (leaks forces True)",
    recipeKey: "trace_allocators",
    defaultText: "True",
  },
  { field: "modules", flags: "--module <name>", description: "module to import in snapshot mode (repeatable)", repeatable: true },
  { field: "livePort", flags: "--live-port <n>", description: "SocketDestination port for live modes", defaultText: String(DEFAULT_LIVE_PORT) },
  { field: "timeoutSeconds", flags: "--timeout <seconds>", description: "bound on the workload" },
  {
    field: "durationSeconds",
    flags: "--duration <seconds>",
    description: "attach: how long the service's processes are tracked (or until Ctrl-C)",
    recipeKey: "duration_seconds",
    defaultText: "30",
  },
  {
    field: "pids",
    flags: "--pid <pid>",
    description: "attach: track this process of the service (repeatable; default: every worker, else the main process)",
    recipeKey: "pids",
    repeatable: true,
  },
  {
    field: "aggregate",
    flags: "--aggregate",
    description: "attach: memray's aggregated capture (bounded size for long windows; no temporal reports)",
    recipeKey: "aggregate",
  },
  { field: "python", flags: "--python <path>", description: "Python interpreter in the target (default python3 / the container's)", recipeKey: "python" },
  { field: "allowNoMemray", flags: "--allow-no-memray", description: "without memray, still measure tracemalloc + RSS (memray_enabled=false)" },
  {
    field: "tracemalloc",
    flags: "--tracemalloc",
    description: "run Python's tracemalloc beside memray for memory.tracemalloc_* (slower capture; default: derived from the capture)",
  },
  { field: "out", flags: "--out <dir>", description: "parent of run directories", recipeKey: "out_dir", defaultText: "runs" },
  { field: "name", flags: "--name <name>", description: "run name (default: script name or mode)", recipeKey: "run_name" },
  {
    field: "repeat",
    flags: "--repeat <n>",
    description: "make N runs one after another (run i is NAME-i-<timestamp>); stdout lists each run directory; exit: the highest of the runs'",
  },
  { field: "json", flags: "--json", description: "print one JSON object { run_dir, summary } on stdout (--repeat: also runs: [{ run_dir, summary }])" },
  { field: "quiet", flags: "--quiet", description: "print nothing but the run directory (and errors)" },
  {
    field: "baseline",
    flags: "--baseline <run-dir>",
    description: "afterwards, compare with this run (compare.md, compare.json; exit 1 on a regression)",
    recipeKey: "baseline",
  },
  {
    field: "wiremock",
    flags: "--wiremock <url>",
    description: "WireMock whose request journal is reset before and dumped after the run (default: the target's Compose project's wiremock)",
    recipeKey: "wiremock_url",
  },
  {
    field: "logsSince",
    flags: "--logs-since <duration>",
    description: "window of the container logs collected (docker logs --since: 5m, 1h30m, an ISO time)",
    defaultText: "5m",
  },
  { field: "signalsTimeout", flags: "--signals-timeout <seconds>", description: "bound on each signal collector (WireMock, logs, stats)", defaultText: "10" },
  { field: "signals", flags: "--no-signals", description: "collect no signals (WireMock journal, container logs, container stats)" },
];

/** `profile` flags after commander, keyed by field (strings; repeatables as arrays; switches as booleans). */
export type RawProfileFlags = Partial<Record<ProfileFlagField, string | boolean | string[]>>;

/** Commander argParser for repeatable options. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

function longFlag(spec: FlagSpec): string {
  return spec.flags.split(/[ ,]+/).find((part) => part.startsWith("--"))!;
}

/** How the CLI names a field in messages (`delaySeconds` → `--delay`). */
export function flagLabel(field: string): string {
  const spec = PROFILE_FLAGS.find((candidate) => candidate.field === field);
  return spec ? longFlag(spec) : field;
}

export function addProfileFlags(command: Command): Command {
  for (const spec of PROFILE_FLAGS) {
    const option = new Option(spec.flags, spec.description);
    if (spec.repeatable) option.argParser(collect);
    if (spec.defaultText) option.default(undefined, spec.defaultText);
    command.addOption(option);
  }
  return command;
}

/** Commander's values (keyed by its attribute names) → RawProfileFlags keyed by field. */
export function flagsFromCommander(values: Record<string, unknown>): RawProfileFlags {
  const flags: RawProfileFlags = {};
  for (const spec of PROFILE_FLAGS) {
    const value = values[new Option(spec.flags).attributeName()];
    if (value !== undefined) flags[spec.field] = value as string | boolean | string[];
  }
  return flags;
}
