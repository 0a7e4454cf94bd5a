import { createWriteStream, existsSync } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import createDebug from "debug";
import { ATTACH_PROCESSES_DIR, artifactFile, HARNESS_LOG_FILE, HARNESS_STATE_FILE, SUMMARY_FILE } from "./artifact-table.js";
import { MemrayError } from "./errors.js";
import type { ExitCodeValue } from "./exit-codes.js";
import { harnessConfigSchema, type HarnessConfig } from "./harness-config-schema.js";
import { locateHarnessDir } from "./harness-locator.js";
import { describeEnd, HarnessInterrupts, HarnessProcess } from "./harness-process.js";
import { checkInterpreter } from "./interpreter-probe.js";
import { interruptCode, type InterruptChannel } from "./interrupts.js";
import { DEFAULT_LIVE_PORT, isMode, MODE_RULES, type Mode } from "./mode-rules.js";
import type { ProfileDeps, ProfileResult, SessionHooks } from "./profile-session.js";
import type { RunDir } from "./run-dir.js";
import { systemClock } from "./run-dir.js";
import { readRunFile, runFileBound } from "./run-file.js";
import { settleSummary } from "./settle-summary.js";
import { readSummary } from "./summary-io.js";
import type { Summary, TargetInfo } from "./summary-schema.js";
import { LocalTarget } from "./target/local-target.js";
import type { Target } from "./target/target.js";

const debug = createDebug("memray:recover");

/** The errors of a summary.json that `recoverRun` finishes; a run directory without summary.json is finished too. */
const RECOVERABLE_ERRORS: readonly string[] = ["HOST_LOST", "REPORTS_MISSING"];

export interface RecoverRequest {
  /** The run directory to finish, on this host. */
  runDir: RunDir;
  /** Where the recovering harness runs (default: this host). */
  target?: Target;
  /** An interpreter with memray (default: the run's own when it ran on this host, else python3). */
  python?: string;
  /** Artifact keys of files the caller adds after the summary (index.html); harness.log is always there. */
  hostArtifacts?: string[];
  /** Ctrl-C/SIGTERM: before the harness, they stop the checks; then the first stops nothing, a second abandons the reports, a third stops at once. */
  interrupts?: Pick<InterruptChannel, "subscribe">;
}

/** What a run directory kept of a run that did not finish: its summary (HOST_LOST, REPORTS_MISSING) or its checkpoint. */
interface LeftOver {
  summary: Summary | undefined;
  /** The summary content of the checkpoint (`.harness-state.json`), when there is one. */
  state: Record<string, unknown> | undefined;
}

/**
 * `memray-cli recover RUN_DIR`: a run directory holding only a capture (session.bin; no summary.json, or a
 * summary with HOST_LOST or REPORTS_MISSING) made into a full run on this host: a harness started with
 * `--resume` makes the reports from session.bin and writes summary.json from what the run kept (the
 * workload's own outcome restored when it had ended), then the caller's afterSummary adds index.html.
 * A run directory that is not one to recover is NOT_RECOVERABLE (exit 2); nothing in it is changed.
 */
export async function recoverRun(request: RecoverRequest, hooks: SessionHooks = {}, deps: ProfileDeps = {}): Promise<ProfileResult> {
  const { runDir } = request;
  const left = await leftOver(runDir);
  const saved = left.summary ?? left.state;
  const mode = savedMode(saved);
  const savedTarget = (saved?.target ?? undefined) as Partial<TargetInfo> | undefined;
  const python = request.python ?? (savedTarget?.kind === "local" && typeof savedTarget.python === "string" ? savedTarget.python : "python3");
  const target = request.target ?? new LocalTarget();
  const targetInfo: TargetInfo = { kind: target.kind, name: target.name, python, service_port: null };
  const hostArtifacts = request.hostArtifacts ?? [];
  const startedAt = (deps.clock ?? systemClock).now();

  const interrupts = new HarnessInterrupts();
  const { received, beforeHarness, hardStop } = interrupts;
  const interruption = () =>
    new MemrayError(
      interruptCode(received[0] ?? "SIGINT"),
      `recovery of ${runDir.artifactPrefix} interrupted by ${received[0] ?? "a signal"} before it started; nothing was changed`,
    );
  const unsubscribe = request.interrupts?.subscribe(interrupts.receive);
  const scratch = await mkdtemp(path.join(os.tmpdir(), "memray-cli-recover-"));
  const log = createWriteStream(path.join(runDir.path, HARNESS_LOG_FILE), { flags: "a" });
  log.on("error", (error) => debug("harness.log: %O", error));
  let failure: MemrayError | undefined;
  let harnessFailure: MemrayError | undefined;
  let exit: number | undefined;
  try {
    hooks.onProgress?.({ type: "step", step: "preflight", message: `checking Python and memray on ${target.name}` });
    await checkInterpreter({ target, python, allowNoMemray: false, signal: beforeHarness.signal }).catch((error: unknown) => {
      throw received.length ? interruption() : error;
    });
    if (received.length) throw interruption();
    const configPath = path.join(scratch, "config.json");
    await writeFile(configPath, JSON.stringify(recoverConfig(runDir, mode, saved, targetInfo, scratch, hostArtifacts), null, 2));
    const from = left.summary?.attach ? "its processes' captures" : "its session.bin";
    hooks.onProgress?.({ type: "step", step: "recover", message: `making ${runDir.artifactPrefix} a full run from ${from}` });
    const harness = new HarnessProcess({
      target,
      python,
      launch: { configPath, pythonPath: deps.harnessDir ?? locateHarnessDir(), args: ["--resume"] },
      log,
      hardStop: hardStop.signal,
      onOutput: (event) => hooks.onProgress?.(event),
    });
    interrupts.harness = harness;
    const result = await harness.start();
    harnessFailure = result.error;
    exit = result.finishedWith;
    if (exit === undefined) {
      const ended = describeEnd(result.exitCode, result.exitSignal);
      failure = received.length
        ? new MemrayError(interruptCode(received[0]!), `stopped at once by ${received.length} signals (${ended}); reports were abandoned`)
        : new MemrayError("HARNESS_FAILED", `the recovering harness ended (${ended}) without finishing its run`);
    }
  } finally {
    unsubscribe?.();
    await rm(scratch, { recursive: true, force: true });
    await new Promise<void>((resolve) => log.end(resolve));
  }
  const settled = await settleSummary({
    runDir,
    mode,
    script: left.summary?.script ?? (typeof left.state?.script === "string" ? left.state.script : null),
    targetInfo,
    startedAt,
    failure,
    harnessFailure,
    sections: undefined,
    hostArtifacts,
  });
  const warnings: string[] = [];
  try {
    await hooks.afterSummary?.(settled.summary, runDir);
  } catch (afterError) {
    warnings.push(`finishing the run directory failed: ${(afterError as Error).message}`);
  }
  const exitCode = (settled.error?.exitCode ?? exit ?? 3) as ExitCodeValue;
  return { summary: settled.summary, runDir, exitCode, warnings, ...(settled.error ? { error: settled.error } : {}) };
}

/** What the run directory kept; NOT_RECOVERABLE when it is no run to recover (no capture, a finished run). */
async function leftOver(runDir: RunDir): Promise<LeftOver> {
  const dir = runDir.path;
  const isDir = await stat(dir).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (!isDir) throw new MemrayError("RUN_NOT_FOUND", `no run directory ${runDir.artifactPrefix}`);
  let summary: Summary | undefined;
  if (existsSync(path.join(dir, SUMMARY_FILE))) {
    summary = await readSummary(path.join(dir, SUMMARY_FILE)).catch((error: unknown) => {
      throw new MemrayError("NOT_RECOVERABLE", `${runDir.artifactPrefix}/${SUMMARY_FILE} cannot be read: ${(error as Error).message}`, { cause: error });
    });
    if (!summary.error_code || !RECOVERABLE_ERRORS.includes(summary.error_code)) {
      throw new MemrayError("NOT_RECOVERABLE", `${runDir.artifactPrefix} is a finished run (error_code ${summary.error_code ?? "null"}): nothing to recover`);
    }
  }
  checkCaptures(runDir, summary);
  // The checkpoint holds summary content: summary.json's bound. A FIFO or a device is refused, never waited on.
  const state = await readRunFile(path.join(dir, HARNESS_STATE_FILE), { maxBytes: runFileBound(SUMMARY_FILE) }).then(
    (bytes) => {
      const parsed = JSON.parse(bytes.toString("utf8")) as { summary?: unknown };
      return parsed.summary && typeof parsed.summary === "object" ? (parsed.summary as Record<string, unknown>) : undefined;
    },
    () => undefined,
  );
  return { summary, state };
}

/** NOT_RECOVERABLE unless the run kept a capture: session.bin, or (mode attach) a process's capture its summary lists. */
function checkCaptures(runDir: RunDir, summary: Summary | undefined): void {
  const dir = runDir.path;
  const session = artifactFile("session_bin");
  if (summary?.attach) {
    if (summary.attach.processes.some((p) => p.capture && existsSync(path.join(dir, p.capture)))) return;
    throw new MemrayError("NOT_RECOVERABLE", `${runDir.artifactPrefix} holds none of its processes' captures: there is nothing to make the reports from`);
  }
  if (existsSync(path.join(dir, session))) return;
  const attachDir = path.join(dir, ATTACH_PROCESSES_DIR);
  throw new MemrayError(
    "NOT_RECOVERABLE",
    existsSync(attachDir)
      ? `${runDir.artifactPrefix} is an attach run whose harness ended before its summary: recover needs that summary; each process's capture is kept in ${ATTACH_PROCESSES_DIR}/*/${session} (\`memray flamegraph\` makes a report of one)`
      : `${runDir.artifactPrefix} holds no ${session}: there is no capture to make the reports from`,
  );
}

function savedMode(saved: { mode?: unknown } | undefined): Mode {
  return typeof saved?.mode === "string" && isMode(saved.mode) ? saved.mode : "script";
}

/** The config of the recovering harness: the mode's reports, the run directory as out_dir, no workload to run. */
function recoverConfig(
  runDir: RunDir,
  mode: Mode,
  saved: Record<string, unknown> | Summary | undefined,
  targetInfo: TargetInfo,
  scratch: string,
  hostArtifacts: string[],
): HarnessConfig {
  const rule = MODE_RULES[mode];
  const script = typeof saved?.script === "string" ? saved.script : null;
  const profiling = (saved?.profiling ?? {}) as { trace_python_allocators?: unknown };
  return harnessConfigSchema.parse({
    mode,
    run_id: runDir.runId,
    out_dir: runDir.path,
    artifact_prefix: runDir.artifactPrefix,
    script,
    // Only for the requests report's title and the requests file, which is gone: never run.
    script_path: script && rule.script !== "none" ? path.resolve(runDir.path, script) : null,
    script_args: [],
    app: null,
    app_dir: null,
    modules: [],
    endpoint: { path: "/", method: "GET", body: null, headers: {} },
    requests: rule.defaults.requests,
    delay_seconds: rule.defaults.delaySeconds,
    native_traces: true,
    trace_python_allocators: typeof profiling.trace_python_allocators === "boolean" ? profiling.trace_python_allocators : true,
    allow_no_memray: false,
    install_requirements: false,
    requests_file: path.join(scratch, "requests.json"),
    reports: [...rule.reports],
    live_port: DEFAULT_LIVE_PORT,
    service_port: null,
    timeout_seconds: null,
    target: {
      ...targetInfo,
      ...((saved?.target ?? {}) as object),
      service_port: (saved?.target as { service_port?: number | null } | undefined)?.service_port ?? null,
    },
    host_artifacts: ["harness_log", ...hostArtifacts],
    host_sections_wait_seconds: null,
    host_warnings: [],
    tracemalloc: false,
    scratch_dir: scratch,
    attach: null,
  } satisfies HarnessConfig);
}
