import { z } from "zod";
import { compareReportSchema } from "./compare-report-schema.js";
import { ERROR_CODES, type ErrorCode } from "./error-codes.js";
import { MODES } from "./mode-rules.js";
import { summarySchema } from "./summary-schema.js";

/**
 * What `memray-cli <command> --json` prints on stdout: one JSON object per command, described here
 * once (JSON Schemas generated from these are checked in as `schema/cli-*.schema.json`). Objects are
 * loose: fields may be added, never renamed or removed. Human progress always goes to stderr.
 * `memray-cli compare --json` prints compare-report.schema.json.
 */

const errorCodes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** One profiling run: its directory and its summary (and, with --baseline, the comparison with it). */
export const profileRunOutputSchema = z.looseObject({
  /** The run directory, relative to the working directory when inside it (a line of stdout without --json). */
  run_dir: z.string(),
  summary: summarySchema,
  /** --baseline: the comparison with the baseline run (compare.json in the run directory). */
  compare: compareReportSchema.optional(),
});

/** Any command with `--json` that fails before it has a result: what `error` holds. */
const cliErrorSchema = z.looseObject({
  code: z.enum(errorCodes),
  message: z.string(),
  exit_code: z.number().int(),
  hint: z.string().nullable().optional(),
});

/**
 * `profile`, `run debug/memray-container|memray-sequence|memray-local`, and a menu run: the run directory
 * and its summary. With --repeat N, `runs` lists every run in order and `run_dir`/`summary`/`compare` are
 * the last one's; a run that could not start after earlier ones had (the target went away) is `error`,
 * the runs before it still listed.
 */
export const profileOutputSchema = profileRunOutputSchema.extend({
  /** --repeat: every run, in the order made. */
  runs: z.array(profileRunOutputSchema).optional(),
  /** --repeat: why the runs stopped before N (the runs listed were made). */
  error: cliErrorSchema.optional(),
});

/**
 * `recover --json`: the run directory and its summary once finished on this host (reports, summary.json,
 * index.html from session.bin).
 */
export const recoverOutputSchema = profileRunOutputSchema.omit({ compare: true });

/** One row of `runs list`: the columns of the table, plus the summary it was read from. */
export const runRowSchema = z.looseObject({
  run_dir: z.string(),
  run_id: z.string(),
  mode: z.enum(MODES).nullable(),
  /** `local`, or the container's name. */
  target: z.string().nullable(),
  /** memray's peak (memray_stats.peak_memory) in bytes; null without a capture. */
  peak_memory_bytes: z.number().nullable(),
  /** summary.memory.rss_delta, KB. */
  rss_delta_kb: z.number().nullable(),
  /** `likely leak`, `no leak`, or `n/a` (fewer than two requests). */
  leak_verdict: z.enum(["likely leak", "no leak", "n/a"]),
  /** `ok`, `failed` (the workload or the host failed: error set). */
  status: z.enum(["ok", "failed"]),
  /** ISO 8601 UTC, as in summary.json. */
  timestamp: z.string(),
  summary: summarySchema,
});

/** A directory with a summary.json that cannot be read: listed, never hidden. */
export const unreadableRunSchema = z.looseObject({ run_dir: z.string(), problem: z.string() });

/** `runs list --json`: newest first. */
export const runsListOutputSchema = z.looseObject({
  runs_dir: z.string(),
  runs: z.array(runRowSchema),
  unreadable: z.array(unreadableRunSchema),
});

/** `runs show --json`. */
export const runsShowOutputSchema = z.looseObject({
  run_dir: z.string(),
  summary: summarySchema,
  /** Every file of the run directory, sorted. */
  files: z.array(z.string()),
});

/** `runs open --json`. */
export const runsOpenOutputSchema = z.looseObject({
  run_dir: z.string(),
  /** The page to open: the run's index.html. */
  index: z.string(),
  /** Whether a browser could be started (xdg-open / open). */
  opened: z.boolean(),
});

/** `install --json` and `run debug/memray-install --json`. */
export const installOutputSchema = z.looseObject({
  container: z.string(),
  python: z.string(),
  version: z.string(),
  alreadyInstalled: z.boolean(),
  method: z.enum(["already-installed", "online", "wheelhouse"]),
  debugSymbols: z.enum(["installed", "skipped", "not-requested"]),
  debugSymbolsReason: z.string().optional(),
  /** The target, by kind and name (`container` is its name too, for the seed's readers). */
  target: z.looseObject({ kind: z.string(), name: z.string() }).optional(),
  /** What the install does not survive (a new container, a pod restart). */
  note: z.string().optional(),
  /** --attach: gdb for mode attach. */
  attachDebugger: z.enum(["installed", "skipped", "not-requested"]).optional(),
  gdbVersion: z.string().optional(),
  attachDebuggerReason: z.string().optional(),
  /** --agent: where mode attach's agent went, and what to do next. */
  agent: z.looseObject({ agentPath: z.string(), pthFile: z.string(), note: z.string() }).optional(),
});

/** `debug-build --json` and `run debug/memray-debug-build --json` (`--verify` prints the wheel, its debug_sections and modules). */
export const debugBuildOutputSchema = z.looseObject({
  wheel: z.string(),
  /** Section name → bytes, over all extension modules. */
  debug_sections: z.record(z.string(), z.number()),
  modules: z.array(z.looseObject({ path: z.string(), machine: z.string(), size: z.number(), debug_sections: z.record(z.string(), z.number()) })),
  cached: z.boolean().optional(),
  key: z.string().optional(),
  build_log: z.string().optional(),
  project: z.unknown().optional(),
  seconds: z.number().optional(),
  revision: z.unknown().optional(),
  installed: z.unknown().optional(),
});

/** `view --json`: printed once the run browser listens. */
export const viewOutputSchema = z.looseObject({
  url: z.string(),
  host: z.literal("127.0.0.1"),
  port: z.number().int(),
  runs_dir: z.string(),
});

/** Any command with `--json` that fails before it has a result: stdout is this one object (the message is on stderr too). */
export const cliErrorOutputSchema = z.looseObject({
  error: cliErrorSchema,
});

/** The `--json` output of each command, by the command as typed. */
export const CLI_OUTPUT_SCHEMAS = {
  profile: profileOutputSchema,
  recover: recoverOutputSchema,
  "runs list": runsListOutputSchema,
  "runs show": runsShowOutputSchema,
  "runs open": runsOpenOutputSchema,
  install: installOutputSchema,
  "debug-build": debugBuildOutputSchema,
  view: viewOutputSchema,
  error: cliErrorOutputSchema,
} as const;

export type ProfileOutput = z.infer<typeof profileOutputSchema>;
export type ProfileRunOutput = z.infer<typeof profileRunOutputSchema>;
export type RecoverOutput = z.infer<typeof recoverOutputSchema>;
export type RunRow = z.infer<typeof runRowSchema>;
export type RunsListOutput = z.infer<typeof runsListOutputSchema>;
export type RunsShowOutput = z.infer<typeof runsShowOutputSchema>;
export type RunsOpenOutput = z.infer<typeof runsOpenOutputSchema>;
export type InstallOutput = z.infer<typeof installOutputSchema>;
export type DebugBuildOutput = z.infer<typeof debugBuildOutputSchema>;
export type ViewOutput = z.infer<typeof viewOutputSchema>;
export type CliErrorOutput = z.infer<typeof cliErrorOutputSchema>;
