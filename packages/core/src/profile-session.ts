import { existsSync } from "node:fs";
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import createDebug from "debug";
import { MemrayError, MemrayNotInstalledError, PythonNotFoundError, toMemrayError } from "./errors.js";
import { ExitCode, type ExitCodeValue } from "./exit-codes.js";
import { createHarnessStderrParser, type HarnessEvent } from "./harness-events.js";
import {
  DEFAULT_LIVE_PORT,
  harnessConfigSchema,
  type EndpointRequest,
  type HarnessConfig,
  type ReportName,
} from "./harness-config-schema.js";
import { locateHarnessDir } from "./harness-locator.js";
import type { Mode } from "./modes.js";
import type { RunDir } from "./run-dir.js";
import { systemClock, type Clock } from "./run-dir.js";
import { emptySummary, parseSummary, SUMMARY_FILE, writeSummary } from "./summary-io.js";
import type { Summary } from "./summary-schema.js";
import type { Target } from "./target.js";


const debug = createDebug("memray:session");

/** File in the run directory that keeps the workload's own stdout/stderr. */
export const HARNESS_LOG_FILE = "harness.log";

export interface ProfileScript {
  /** As the user wrote it; goes to summary.script. */
  display: string;
  /** Absolute host path of the script. */
  hostPath: string;
  args: string[];
}

export interface ProfileRequest {
  mode: Mode;
  target: Target;
  /** Interpreter in the target (`python3`, `/opt/venv/bin/python`, ...). */
  python: string;
  runDir: RunDir;
  script?: ProfileScript | undefined;
  app?: string | null;
  appDir?: string | null;
  modules?: string[];
  endpoint?: EndpointRequest;
  requests?: number;
  delaySeconds?: number;
  nativeTraces?: boolean;
  traceAllocators?: boolean;
  allowNoMemray?: boolean;
  installRequirements?: boolean;
  reports: ReportName[];
  livePort?: number;
  servicePort?: number | null;
  timeoutSeconds?: number | null;
  /** The fix printed when memray is missing in the target. */
  memrayInstallHint?: string;
  /**
   * Stops the harness in a target that does not share the host's process group (a container);
   * a local harness gets the terminal's Ctrl-C itself and finishes its run.
   */
  signal?: AbortSignal;
}

export type ProgressEvent =
  | { type: "step"; step: string; message: string }
  | { type: "harness"; event: HarnessEvent }
  | { type: "output"; stream: "stdout" | "stderr"; line: string };

/** What a caller hears of a session: progress, and live modes waiting for their client. */
export interface SessionHooks {
  onProgress?: (event: ProgressEvent) => void;
  /** A live mode is waiting for its client (forward its ports, tell the user). */
  onLive?: (event: HarnessEvent) => Promise<void>;
  /**
   * The final summary, just before it is written: add artifacts made from it (index.html). A
   * failure here is a warning in the summary, never a lost run.
   */
  beforeSummary?: (summary: Summary, runDir: RunDir) => Promise<void>;
}

export interface ProfileDeps {
  clock?: Clock;
  harnessDir?: string;
}

export interface ProfileResult {
  summary: Summary;
  runDir: RunDir;
  exitCode: ExitCodeValue;
  error?: MemrayError;
}

/**
 * Runs one mode on one target and always leaves a valid summary.json in the run directory, also
 * when the target, the harness or the workload fails; artifacts produced so far are kept.
 */
export async function runProfile(
  request: ProfileRequest,
  hooks: SessionHooks = {},
  deps: ProfileDeps = {},
): Promise<ProfileResult> {
  const clock = deps.clock ?? systemClock;
  const startedAt = clock.now();
  const { runDir, target } = request;
  const step = (name: string, message: string) => hooks.onProgress?.({ type: "step", step: name, message });
  let harnessExit: number | null = null;
  let failure: MemrayError | undefined;

  try {
    step("preflight", `checking Python and memray on ${target.name}`);
    await checkInterpreter(request);

    step("stage", `staging the harness on ${target.name}`);
    const staged = await stageHarness(request, deps.harnessDir ?? locateHarnessDir());

    step("run", `profiling (${request.mode}) on ${target.name}`);
    try {
      harnessExit = await runHarness(request, staged, hooks);
      if (harnessExit > 3) failure = harnessKilled(target.name, harnessExit);
    } finally {
      if (staged.outDir !== runDir.path) {
        step("collect", "copying the run directory out of the target");
        try {
          await target.copyOut(staged.outDir, runDir.path);
        } catch (error) {
          failure ??= new MemrayError("COPY_OUT_FAILED", ExitCode.Environment, `Could not copy the run out of ${target.name}`, {
            cause: error,
            hint: "check the target is still running; artifacts copied so far are kept",
          });
        }
      }
      await staged.cleanup().catch((error) => debug("cleanup failed: %O", error));
    }
  } catch (error) {
    failure = toMemrayError(error);
  }

  const summary = await finalSummary(request, startedAt, harnessExit, failure);
  try {
    await hooks.beforeSummary?.(summary, runDir);
  } catch (error) {
    (summary.warnings ??= []).push(`finishing the run directory failed: ${(error as Error).message}`);
  }
  await writeSummary(runDir.path, summary);
  const exitCode = failure?.exitCode ?? exitCodeFromHarness(harnessExit, summary);
  return { summary, runDir, exitCode, ...(failure ? { error: failure } : {}) };
}

/** Exit code of the probe when Python runs but memray does not import. */
const MEMRAY_MISSING = 42;
const PROBE = [
  "import sys",
  "print('%d.%d.%d' % sys.version_info[:3])",
  "try:\n    import memray\nexcept Exception:\n    sys.exit(42)",
].join("\n");

/** One round trip: is the interpreter there, and does memray import? */
async function checkInterpreter(request: ProfileRequest): Promise<void> {
  const { target, python } = request;
  const probe = await target.exec([python, "-c", PROBE]);
  if (probe.exitCode === MEMRAY_MISSING) {
    if (request.allowNoMemray) return;
    throw new MemrayNotInstalledError(python, target.name, request.memrayInstallHint ?? `${python} -m pip install memray`);
  }
  if (probe.exitCode !== 0) {
    throw new PythonNotFoundError(python, target.name, probe.stderr.trim() ? new Error(probe.stderr.trim()) : undefined);
  }
}

interface StagedHarness {
  pythonPath: string;
  requestsFile: string;
  configPath: string;
  outDir: string;
  cleanup(): Promise<void>;
}

/** Put the harness, the config and the workload's files where the target's Python can read them. */
async function stageHarness(request: ProfileRequest, harnessDir: string): Promise<StagedHarness> {
  const { target, runDir } = request;
  const hostScratch = await mkdtemp(path.join(os.tmpdir(), "memray-cli-config-"));
  const local = target.sharesHostFilesystem;
  const targetScratch = local ? hostScratch : await target.scratchDir();
  let scriptPath: string | null = request.script?.hostPath ?? null;

  if (!local) {
    await target.copyIn(path.join(harnessDir, "memray_harness"), targetScratch);
    if (request.script) {
      // The script's whole directory travels: requirements.txt and helper modules sit beside it.
      const scriptDir = path.dirname(request.script.hostPath);
      await target.copyIn(scriptDir, path.posix.join(targetScratch, "workload"));
      scriptPath = path.posix.join(targetScratch, "workload", path.basename(scriptDir), path.basename(request.script.hostPath));
    }
  }
  const outDir = local ? runDir.path : path.posix.join(targetScratch, "run", runDir.runId);
  const config: HarnessConfig = harnessConfigSchema.parse({
    mode: request.mode,
    run_id: runDir.runId,
    out_dir: outDir,
    artifact_prefix: runDir.artifactPrefix,
    script: request.script?.display ?? null,
    script_path: scriptPath,
    script_args: request.script?.args ?? [],
    app: request.app ?? null,
    app_dir: request.appDir ?? null,
    modules: request.modules ?? [],
    endpoint: request.endpoint ?? { path: "/", method: "GET", body: null, headers: {} },
    requests: request.requests ?? 1,
    delay_seconds: request.delaySeconds ?? 0,
    native_traces: request.nativeTraces ?? true,
    trace_python_allocators: request.mode === "leaks" ? true : (request.traceAllocators ?? true),
    allow_no_memray: request.allowNoMemray ?? false,
    install_requirements: request.installRequirements ?? true,
    // One file per run (not the seed's shared /tmp path): parallel runs never merge each other's data.
    requests_file: path.posix.join(targetScratch, "requests.json"),
    reports: request.reports,
    live_port: request.livePort ?? DEFAULT_LIVE_PORT,
    service_port: request.servicePort ?? null,
    timeout_seconds: request.timeoutSeconds ?? null,
  });
  const hostConfig = path.join(hostScratch, "config.json");
  await writeFile(hostConfig, JSON.stringify(config, null, 2));
  if (!local) await target.copyIn(hostConfig, targetScratch);

  return {
    pythonPath: local ? harnessDir : targetScratch,
    requestsFile: config.requests_file,
    configPath: local ? hostConfig : path.posix.join(targetScratch, "config.json"),
    outDir,
    cleanup: async () => {
      await rm(hostScratch, { recursive: true, force: true });
      if (!local) await target.exec(["rm", "-rf", targetScratch]).catch(() => undefined);
    },
  };
}

async function runHarness(request: ProfileRequest, staged: StagedHarness, hooks: SessionHooks): Promise<number> {
  const logFile = path.join(request.runDir.path, HARNESS_LOG_FILE);
  const log = (line: string) => appendFile(logFile, `${line}\n`).catch(() => undefined);
  const emitLine = (stream: "stdout" | "stderr", line: string) => {
    void log(line);
    hooks.onProgress?.({ type: "output", stream, line });
  };
  const liveReady: Promise<void>[] = [];
  const stderr = createHarnessStderrParser(
    (event) => {
      hooks.onProgress?.({ type: "harness", event });
      if (event.event === "live" && hooks.onLive) liveReady.push(hooks.onLive(event));
    },
    (line) => emitLine("stderr", line),
  );
  let stdoutPending = "";
  const result = await request.target.exec(
    [request.python, "-m", "memray_harness", "--config", staged.configPath],
    {
      env: { PYTHONPATH: staged.pythonPath, PYTHONUNBUFFERED: "1", MEMRAY_RUN_REQUESTS_FILE: staged.requestsFile },
      onStdout: (chunk) => {
        stdoutPending += chunk;
        const lines = stdoutPending.split("\n");
        stdoutPending = lines.pop() ?? "";
        lines.forEach((line) => emitLine("stdout", line));
      },
      onStderr: (chunk) => stderr.push(chunk),
      ...(request.target.sharesHostFilesystem || !request.signal ? {} : { signal: request.signal }),
    },
  );
  stderr.flush();
  if (stdoutPending) emitLine("stdout", stdoutPending);
  await Promise.allSettled(liveReady);
  debug("harness exited %d", result.exitCode);
  return result.exitCode;
}

async function finalSummary(
  request: ProfileRequest,
  startedAt: Date,
  harnessExit: number | null,
  failure: MemrayError | undefined,
): Promise<Summary> {
  const { runDir } = request;
  const base = {
    runId: runDir.runId,
    mode: request.mode,
    script: request.script?.display ?? null,
    timestamp: startedAt,
  };
  let summary: Summary;
  const file = path.join(runDir.path, SUMMARY_FILE);
  try {
    summary = parseSummary(JSON.parse(await readFile(file, "utf8")), file);
  } catch (error) {
    const reason = existsSync(file) ? `the harness wrote an invalid summary.json (${(error as Error).message})` : null;
    summary = emptySummary({
      ...base,
      error: failure?.message ?? reason ?? `the harness exited with ${harnessExit ?? "no exit code"} and wrote no summary.json`,
    });
  }
  // A harness that was killed left its early "did not finish" summary: say what really happened.
  if (failure && (!summary.error || failure.code === "HARNESS_KILLED")) summary.error = failure.message;
  if (failure) summary.error_code = failure.code;
  summary.target = { kind: request.target.kind, name: request.target.name, python: request.python };
  const present = new Set(await readdir(runDir.path).catch(() => [] as string[]));
  if (present.has(HARNESS_LOG_FILE)) summary.artifacts.harness_log = `${runDir.artifactPrefix}/${HARNESS_LOG_FILE}`;
  return summary;
}

function harnessKilled(targetName: string, exitCode: number): MemrayError {
  const signal = exitCode > 128 ? ` (signal ${exitCode - 128}: the target stopped, or the process was killed or ran out of memory)` : "";
  return new MemrayError("HARNESS_KILLED", ExitCode.Environment, `the harness on ${targetName} ended with exit code ${exitCode}${signal}`, {
    hint: "artifacts produced so far are kept in the run directory; check the target and run again",
  });
}

function exitCodeFromHarness(harnessExit: number | null, summary: Summary): ExitCodeValue {
  switch (harnessExit) {
    case 0:
      return ExitCode.Ok;
    case 1:
      return ExitCode.WorkloadFailed;
    case 2:
      return ExitCode.Usage;
    case 3:
      return ExitCode.Environment;
    default:
      // Killed, crashed or never ran: the environment is at fault, unless the workload itself failed.
      return summary.exit_code && summary.exit_code !== 0 ? ExitCode.WorkloadFailed : ExitCode.Environment;
  }
}
