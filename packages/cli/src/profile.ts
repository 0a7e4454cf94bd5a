import {
  ERROR_CODES,
  InterruptChannel,
  InvalidOptionError,
  MemrayError,
  toMemrayError,
  type CompareReport,
  type InterruptSignal,
  type ProfileOptionsInput,
  type Summary,
} from "@alpiq/memray-core";
import { loadBaseline } from "./baseline-compare.js";
import type { CliIo } from "./cli-io.js";
import { createDefaultDeps } from "./deps.js";
import { discardStream } from "./output-mode.js";
import { printRunOutcome } from "./print-run-outcome.js";
import { executeProfile, type ProfileCommandDeps, type ProfileProgress } from "./profile-execution.js";
import { PROFILE_FLAGS } from "./profile-flags.js";
import { parseProfileOptions, type CliFieldsInput } from "./profile-options.js";
import { ProgressReporter } from "./progress-reporter.js";

/** Flags that are about the terminal or the command line, not the run: `profile()` has no use for them. */
const COMMAND_LINE_ONLY = ["json", "quiet", "repeat"] as const;

/**
 * The options of `profile()`: the `profile` command's flags by the library's field names (core's
 * profile options: mode, script, endpoint, requests, delaySeconds, ...; the CLI's own: target, out,
 * name, baseline, the signals and Kubernetes fields), validated by the same schemas, plus how the
 * call reports.
 */
export type ProfileApiOptions = ProfileOptionsInput &
  Omit<CliFieldsInput, (typeof COMMAND_LINE_ONLY)[number]> & {
    /** Base of relative paths (script, out, baseline); default: the process's working directory. */
    cwd?: string;
    /** The environment the clients read (DOCKER_HOST, KUBECONFIG); default: the process's. */
    env?: NodeJS.ProcessEnv;
    /** Every progress event of the run, as it happens (steps, the harness's events, the workload's output). */
    onProgress?: (event: ProfileProgress) => void;
    /** Also show the progress and the run's outcome as `memray-cli profile` does: `true` on stderr, or on this stream. */
    echo?: boolean | (NodeJS.WritableStream & { isTTY?: boolean });
    /** Aborting stops the run as Ctrl-C does: the workload ends, the reports are made from what was captured (exit code 130). */
    signal?: AbortSignal;
  };

/** What `profile()` resolves with: the run, also when it failed (then `exitCode` is not 0 and `summary.error` says why). */
export interface ProfileApiResult {
  /** The run directory, absolute. */
  runDir: string;
  /** Its name under `out`: `<name>-<YYYYMMDD-HHMMSS>`. */
  runId: string;
  /** summary.json as written. */
  summary: Summary;
  /** What `memray-cli profile` would exit with: 0 done, 1 the workload failed or regressed against `baseline`, 3 the target failed, 130 aborted. */
  exitCode: number;
  /** A failure on the host's side (the harness killed, the target lost), typed; undefined when the run ended normally. */
  error: MemrayError | undefined;
  /** `baseline`: the comparison with it (also compare.json in the run directory). */
  compare: CompareReport | undefined;
  /** Problems finishing the run directory after summary.json was written. */
  warnings: string[];
}

const OWN_OPTIONS = ["cwd", "env", "onProgress", "echo", "signal"] as const;
const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  ...PROFILE_FLAGS.map((spec) => spec.field).filter((field) => !(COMMAND_LINE_ONLY as readonly string[]).includes(field)),
  "scriptArgs",
  ...OWN_OPTIONS,
]);

/**
 * Profile a Python workload from code, as `memray-cli profile` does: on this host (no `target`), in a
 * Docker container (`target: "local-forecast-1"`) or a Kubernetes pod (`target: "deploy/forecast"`,
 * `selector`, `namespace`, ...), through the CLI's target registry and clients (`createDefaultDeps`).
 *
 * Options are checked before anything runs: a bad one, a missing script, a target that cannot be
 * reached or whose app cannot be found rejects with a MemrayError (`code`, `exitCode`, `hint`). Once
 * the run has started it always resolves, with its summary and exit code, also when the workload or
 * the target failed. Nothing is printed unless `echo` asks for it; `process.exit` is never called.
 *
 * `deps` replaces the clients (tests, or a registry with more providers).
 */
export async function profile(options: ProfileApiOptions, deps?: Partial<ProfileCommandDeps>): Promise<ProfileApiResult> {
  if (typeof options !== "object" || options === null)
    throw new InvalidOptionError('profile() expects an options object such as { mode: "script", script: "load.py" }');
  const unknown = Object.keys(options).filter((key) => !KNOWN_OPTIONS.has(key) && (options as Record<string, unknown>)[key] !== undefined);
  if (unknown.length) {
    throw new InvalidOptionError(`profile() has no option ${unknown.map((key) => JSON.stringify(key)).join(", ")}`, {
      hint: `the options are ${[...KNOWN_OPTIONS].join(", ")}`,
    });
  }
  const { cwd = process.cwd(), env = process.env, onProgress, echo, signal, scriptArgs, ...flags } = options;
  const { targets = createDefaultDeps(env).profile.targets, clock } = deps ?? {};
  if (signal?.aborted) throw new MemrayError("INTERRUPTED", "profile() was aborted before the run started");
  try {
    const cli = parseProfileOptions(targets, flags, scriptArgs ?? [], (field) => field);
    const baseline = cli.baseline ? await loadBaseline(cli.baseline, cwd, signal) : undefined;
    const stream = echo === true ? process.stderr : echo || undefined;
    const reporter = stream ? new ProgressReporter(stream, false, env) : undefined;
    const interrupts = abortAsInterrupt(signal);
    let outcome: Awaited<ReturnType<typeof executeProfile>>;
    try {
      outcome = await executeProfile(
        cli,
        { targets, ...(clock ? { clock } : {}) },
        {
          cwd,
          signal,
          interrupts,
          baseline,
          onProgress: (event) => {
            onProgress?.(event);
            if (!reporter) return;
            if (event.type === "notice" || event.type === "live") reporter.info(event.message);
            else reporter.handle(event);
          },
        },
      );
    } catch (error) {
      reporter?.finish(false);
      throw error;
    }
    const { result, comparison } = outcome;
    if (stream && reporter) {
      reporter.finish(result.exitCode === 0);
      printRunOutcome(echoIo(stream, env, cwd), result, reporter.warningsShown);
    }
    return {
      runDir: result.runDir.path,
      runId: result.runDir.runId,
      summary: result.summary,
      exitCode: outcome.exitCode,
      error: result.error,
      compare: comparison?.report,
      warnings: result.warnings,
    };
  } catch (error) {
    throw asApiError(error);
  }
}

/** The error a caller of profile() gets: always a MemrayError; a bad option's hint names the API, not the command line. */
function asApiError(error: unknown): MemrayError {
  const failure = toMemrayError(error);
  if (failure.code !== "INVALID_OPTION" || failure.hint !== ERROR_CODES.INVALID_OPTION.hint) return failure;
  return new InvalidOptionError(failure.reason, {
    cause: failure.cause,
    hint: "check the option against ProfileApiOptions: the flags of `memray-cli profile --help`, by their field names (delaySeconds for --delay)",
  });
}

/**
 * The caller's AbortSignal as the session's interrupt channel: an abort is a Ctrl-C. A channel
 * subscribed to after the abort (the run starts once the target is connected) still hears it.
 */
function abortAsInterrupt(signal: AbortSignal | undefined): Pick<InterruptChannel, "subscribe"> | undefined {
  if (!signal) return undefined;
  const channel = new InterruptChannel();
  signal.addEventListener("abort", () => channel.emit("SIGINT"), { once: true });
  return {
    subscribe(listener: (signal: InterruptSignal) => void) {
      for (const received of channel.received) listener(received);
      return channel.subscribe(listener);
    },
  };
}

/** The io `echo` prints the run's outcome through: its stream for people and errors, nothing on stdout. */
function echoIo(stream: NodeJS.WritableStream & { isTTY?: boolean }, env: NodeJS.ProcessEnv, cwd: string): CliIo {
  return { stdout: discardStream(), stderr: stream, errors: stream, env, cwd };
}
