import { createWriteStream, existsSync } from "node:fs";
import { mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import createDebug from "debug";
import { ARTIFACTS, HARNESS_LOG_FILE, SUMMARY_FILE } from "./artifact-table.js";
import { HarnessKilledError, MemrayError, MemrayNotInstalledError, PythonNotFoundError, toMemrayError } from "./errors.js";
import { isErrorCode } from "./error-codes.js";
import { ExitCode, type ExitCodeValue } from "./exit-codes.js";
import { createHarnessStderrParser, type HarnessEvent } from "./harness-events.js";
import { harnessConfigSchema, type HarnessConfig } from "./harness-config-schema.js";
import { HOST_SECTIONS_FILE, type HostSections } from "./host-sections.js";
import { locateHarnessDir } from "./harness-locator.js";
import { createLineSplitter } from "./line-splitter.js";
import { isMode, MODE_RULES } from "./mode-rules.js";
import { parseOptions, runnableProfileOptionsSchema, type ProfileOptions, type ProfileOptionsInput } from "./profile-options.js";
import { systemClock, type Clock, type RunDir } from "./run-dir.js";
import { fallbackSummary, readSummary, writeSummary } from "./summary-io.js";
import type { Summary, TargetInfo } from "./summary-schema.js";
import type { Target } from "./target.js";

const debug = createDebug("memray:session");

/** One run: its options (validated here, as at every other entry) and where it runs. */
export interface ProfileRequest extends ProfileOptionsInput {
  target: Target;
  runDir: RunDir;
  /** Base of a relative `script` path (default: the process's working directory). */
  cwd?: string;
  /** Directory the app is imported from (the container's working directory). */
  appDir?: string | null;
  /** The service's own port, when known (recorded as summary.target.service_port). */
  servicePort?: number | null;
  /** The fix printed when memray is missing in the target. */
  memrayInstallHint?: string;
  /** Artifact keys of files the caller adds after the run (index.html); harness.log is always there. */
  hostArtifacts?: string[];
  /** Context collected on the host around the workload (signals); its sections land in summary.json. */
  sidecar?: RunSidecar;
  /**
   * Stops the harness in a target that does not share the host's process group (a container);
   * a local harness gets the terminal's Ctrl-C itself and finishes its run.
   */
  signal?: AbortSignal;
}

/**
 * Work the host does around the workload: `before` just before the harness starts, `after` as soon as
 * the workload ended (while the reports are made). What `after` returns is merged into summary.json by
 * the harness. Neither may throw for an ordinary failure: a sidecar records its own failures.
 */
export interface RunSidecar {
  /** How long the harness waits for the sections after its reports. */
  waitSeconds: number;
  before(runDir: RunDir): Promise<void>;
  after(runDir: RunDir): Promise<HostSections>;
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
  /** summary.json is final: add the files made from it that `hostArtifacts` announced (index.html). */
  afterSummary?: (summary: Summary, runDir: RunDir) => Promise<void>;
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
  /** Problems finishing the run directory after summary.json was written (index.html). */
  warnings: string[];
}

/**
 * Runs one mode on one target and always leaves a valid summary.json in the run directory, also
 * when the options, the target, the harness or the workload fail; artifacts produced so far are kept.
 * The harness writes summary.json; this writes one only when the harness could not.
 */
export async function runProfile(request: ProfileRequest, hooks: SessionHooks = {}, deps: ProfileDeps = {}): Promise<ProfileResult> {
  const startedAt = (deps.clock ?? systemClock).now();
  const { runDir, target } = request;
  const step = (name: string, message: string) => hooks.onProgress?.({ type: "step", step: name, message });
  const python = request.python ?? "python3";
  const targetInfo: TargetInfo = { kind: target.kind, name: target.name, python, service_port: request.servicePort ?? null };
  let harnessExit: number | null = null;
  let harnessError: MemrayError | undefined;
  let failure: MemrayError | undefined;
  let sections: Promise<HostSections> | undefined;
  let delivered: Promise<void> | undefined;

  try {
    const options = parseOptions(runnableProfileOptionsSchema, request);
    step("preflight", `checking Python and memray on ${target.name}`);
    await checkInterpreter(request, python);

    step("stage", `staging the harness on ${target.name}`);
    const staged = await stageHarness(request, options, targetInfo, deps.harnessDir ?? locateHarnessDir());

    const sidecar = request.sidecar;
    if (sidecar) {
      step("signals", "collecting signals before the workload");
      await sidecar.before(runDir).catch((error) => debug("sidecar before: %O", error));
    }
    step("run", `profiling (${options.mode}) on ${target.name}`);
    const startAfter = () => {
      if (!sidecar || sections) return;
      sections = sidecar
        .after(runDir)
        .catch((error): HostSections => ({ artifacts: {}, warnings: [`collecting signals failed: ${(error as Error).message}`] }));
      delivered = sections
        .then((value) => (harnessRunning ? staged.deliverSections(value) : undefined))
        .catch((error) => debug("deliver sections: %O", error));
    };
    let harnessRunning = true;
    try {
      const harness = await runHarness(request, python, staged, hooks, startAfter).finally(() => (harnessRunning = false));
      harnessExit = harness.exitCode;
      harnessError = harness.error;
      if (harnessExit > ExitCode.Environment) failure = harnessKilled(target.name, harnessExit);
    } finally {
      startAfter(); // the harness may have ended before its workload did
      await delivered;
      if (staged.outDir !== runDir.path) {
        step("collect", "copying the run directory out of the target");
        try {
          await target.copyOut(staged.outDir, runDir.path);
        } catch (error) {
          failure ??= new MemrayError("COPY_OUT_FAILED", `Could not copy the run out of ${target.name}`, { cause: error });
        }
      }
      // A hand-over the harness never picked up is not part of the run.
      await rm(path.join(runDir.path, HOST_SECTIONS_FILE), { force: true });
      await staged.cleanup().catch((error) => debug("cleanup failed: %O", error));
    }
  } catch (error) {
    failure = toMemrayError(error);
  }

  const { summary, error } = await settleSummary(request, targetInfo, startedAt, harnessExit, failure, harnessError, await sections);
  const warnings: string[] = [];
  try {
    await hooks.afterSummary?.(summary, runDir);
  } catch (afterError) {
    warnings.push(`finishing the run directory failed: ${(afterError as Error).message}`);
  }
  const exitCode = error?.exitCode ?? (harnessExit as ExitCodeValue);
  return { summary, runDir, exitCode, warnings, ...(error ? { error } : {}) };
}

/** Exit code of the probe when Python runs but memray does not import. */
const MEMRAY_MISSING = 42;
const PROBE = [
  "import sys",
  "print('%d.%d.%d' % sys.version_info[:3])",
  "try:\n    import memray\nexcept Exception:\n    sys.exit(42)",
].join("\n");

/** One round trip: is the interpreter there, and does memray import? */
async function checkInterpreter(request: ProfileRequest, python: string): Promise<void> {
  const { target } = request;
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
  /** Hand the host's sections to the harness (into its out_dir, atomically where the target allows). */
  deliverSections(sections: HostSections): Promise<void>;
  pythonPath: string;
  requestsFile: string;
  configPath: string;
  outDir: string;
  cleanup(): Promise<void>;
}

/** Put the harness, the config and the workload's files where the target's Python can read them. */
async function stageHarness(request: ProfileRequest, options: ProfileOptions, targetInfo: TargetInfo, harnessDir: string): Promise<StagedHarness> {
  const { target, runDir } = request;
  const hostScratch = await mkdtemp(path.join(os.tmpdir(), "memray-cli-config-"));
  const local = target.sharesHostFilesystem;
  const targetScratch = local ? hostScratch : await target.scratchDir();
  const scriptHostPath = options.script ? path.resolve(request.cwd ?? process.cwd(), options.script) : null;
  let scriptPath = scriptHostPath;

  if (!local) {
    await target.copyIn(path.join(harnessDir, "memray_harness"), targetScratch);
    if (scriptHostPath) {
      // The script's whole directory travels: requirements.txt and helper modules sit beside it.
      const scriptDir = path.dirname(scriptHostPath);
      await target.copyIn(scriptDir, path.posix.join(targetScratch, "workload"));
      scriptPath = path.posix.join(targetScratch, "workload", path.basename(scriptDir), path.basename(scriptHostPath));
    }
  }
  const rule = MODE_RULES[options.mode];
  const outDir = local ? runDir.path : path.posix.join(targetScratch, "run", runDir.runId);
  const config: HarnessConfig = harnessConfigSchema.parse({
    mode: options.mode,
    run_id: runDir.runId,
    out_dir: outDir,
    artifact_prefix: runDir.artifactPrefix,
    script: options.script ?? null,
    script_path: scriptPath,
    script_args: options.scriptArgs,
    app: options.app ?? null,
    app_dir: request.appDir ?? null,
    modules: options.modules,
    endpoint: options.endpoint,
    requests: options.requests,
    delay_seconds: options.delaySeconds,
    native_traces: true,
    trace_python_allocators: options.traceAllocators,
    allow_no_memray: options.allowNoMemray,
    install_requirements: true,
    // One file per run (not the seed's shared /tmp path): parallel runs never merge each other's data.
    requests_file: path.posix.join(targetScratch, "requests.json"),
    reports: [...rule.reports],
    live_port: options.livePort,
    service_port: rule.workload === "serve" ? 0 : null,
    timeout_seconds: options.timeoutSeconds ?? null,
    target: { kind: targetInfo.kind, name: targetInfo.name, python: targetInfo.python, service_port: targetInfo.service_port ?? null },
    host_artifacts: ["harness_log", ...(request.hostArtifacts ?? [])],
    host_sections_wait_seconds: request.sidecar ? request.sidecar.waitSeconds : null,
  } satisfies HarnessConfig);
  const hostConfig = path.join(hostScratch, "config.json");
  await writeFile(hostConfig, JSON.stringify(config, null, 2));
  if (!local) await target.copyIn(hostConfig, targetScratch);

  return {
    deliverSections: async (sections) => {
      const file = path.join(hostScratch, HOST_SECTIONS_FILE);
      if (local) {
        await writeFile(`${file}.tmp`, JSON.stringify(sections));
        await rename(`${file}.tmp`, path.join(outDir, HOST_SECTIONS_FILE));
      } else {
        await writeFile(file, JSON.stringify(sections)); // the harness re-reads until it parses
        await target.copyIn(file, outDir);
      }
    },
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

interface HarnessOutcome {
  exitCode: number;
  /** The failure the harness announced with an `error` event (it may not have written a summary). */
  error: MemrayError | undefined;
}

async function runHarness(
  request: ProfileRequest,
  python: string,
  staged: StagedHarness,
  hooks: SessionHooks,
  onWorkloadDone: () => void,
): Promise<HarnessOutcome> {
  // One write stream: the workload's output lands in harness.log in the order it was produced.
  const log = createWriteStream(path.join(request.runDir.path, HARNESS_LOG_FILE));
  log.on("error", (error) => debug("harness.log: %O", error));
  const emitLine = (stream: "stdout" | "stderr", line: string) => {
    log.write(`${line}\n`);
    hooks.onProgress?.({ type: "output", stream, line });
  };
  const liveReady: Promise<void>[] = [];
  let error: MemrayError | undefined;
  const stderr = createHarnessStderrParser(
    (event) => {
      if (event.event === "error" && typeof event.code === "string" && isErrorCode(event.code)) {
        error = new MemrayError(event.code, String(event.message ?? "the harness failed"));
      }
      hooks.onProgress?.({ type: "harness", event });
      if (event.event === "workload-done") onWorkloadDone();
      if (event.event === "live" && hooks.onLive) liveReady.push(hooks.onLive(event));
    },
    (line) => emitLine("stderr", line),
  );
  const stdout = createLineSplitter((line) => emitLine("stdout", line));
  try {
    const result = await request.target.exec([python, "-m", "memray_harness", "--config", staged.configPath], {
      env: { PYTHONPATH: staged.pythonPath, PYTHONUNBUFFERED: "1", MEMRAY_RUN_REQUESTS_FILE: staged.requestsFile },
      onStdout: (chunk) => stdout.push(chunk),
      onStderr: (chunk) => stderr.push(chunk),
      ...(request.target.sharesHostFilesystem || !request.signal ? {} : { signal: request.signal }),
    });
    stdout.flush();
    stderr.flush();
    await Promise.allSettled(liveReady);
    debug("harness exited %d", result.exitCode);
    return { exitCode: result.exitCode, error };
  } finally {
    await new Promise<void>((resolve) => log.end(resolve));
  }
}

/**
 * The run's final summary. The harness's own summary.json stands when it wrote a valid one and
 * nothing failed on the host side; otherwise a summary is written here: the harness's (if readable)
 * with the host failure recorded, else a fallback. An unreadable harness summary is kept aside as
 * summary.harness.json, never overwritten.
 */
async function settleSummary(
  request: ProfileRequest,
  targetInfo: TargetInfo,
  startedAt: Date,
  harnessExit: number | null,
  failure: MemrayError | undefined,
  harnessError: MemrayError | undefined,
  sections: HostSections | undefined,
): Promise<{ summary: Summary; error: MemrayError | undefined }> {
  const { runDir } = request;
  const file = path.join(runDir.path, SUMMARY_FILE);
  let harnessSummary: Summary | undefined;
  const warnings: string[] = [];
  if (existsSync(file)) {
    try {
      harnessSummary = await readSummary(file);
    } catch (error) {
      const aside = path.join(runDir.path, "summary.harness.json");
      await rename(file, aside).catch(() => undefined);
      warnings.push(`the harness wrote an invalid summary.json, kept as summary.harness.json: ${(error as MemrayError).reason ?? String(error)}`);
      failure ??= new MemrayError("HARNESS_FAILED", "the harness wrote an invalid summary.json (kept as summary.harness.json)", { cause: error });
    }
  }
  const sectionsMissing = sections !== undefined && harnessSummary !== undefined && harnessSummary.signals === undefined && sections.signals !== undefined;
  if (harnessSummary && !failure && !sectionsMissing) return { summary: harnessSummary, error: undefined };
  if (harnessSummary && !failure) {
    // The harness stopped waiting before the signals arrived: add them (the one case a full summary is rewritten).
    const late = { ...harnessSummary, signals: sections!.signals, artifacts: { ...harnessSummary.artifacts, ...sections!.artifacts } };
    late.warnings = [...(late.warnings ?? []), ...sections!.warnings, "the signals arrived after the harness stopped waiting for them"];
    await writeSummary(runDir.path, late);
    return { summary: late, error: undefined };
  }
  if (!harnessSummary && !failure) {
    failure = harnessError ?? new MemrayError("HARNESS_FAILED", `the harness exited with ${harnessExit ?? "no exit code"} and wrote no summary.json`);
  }
  const error = failure!;
  const summary: Summary = harnessSummary
    ? { ...harnessSummary, error: error.reason, error_code: error.code }
    : fallbackSummary({
        runId: runDir.runId,
        mode: typeof request.mode === "string" && isMode(request.mode) ? request.mode : undefined,
        script: typeof request.script === "string" ? request.script : null,
        timestamp: startedAt,
        error: error.reason,
        errorCode: error.code,
        target: targetInfo,
        artifacts: await presentArtifacts(runDir, request.hostArtifacts ?? []),
      });
  if (sections && summary.signals === undefined) {
    if (sections.signals) summary.signals = sections.signals;
    summary.artifacts = { ...summary.artifacts, ...sections.artifacts };
    warnings.push(...sections.warnings);
  }
  summary.warnings = [...(summary.warnings ?? []), ...warnings];
  await writeSummary(runDir.path, summary);
  return { summary, error };
}

/** Artifacts in the run directory now, plus those the caller is about to add. */
async function presentArtifacts(runDir: RunDir, hostArtifacts: readonly string[]): Promise<Record<string, string>> {
  const present = new Set(await readdir(runDir.path).catch(() => [] as string[]));
  return Object.fromEntries(
    ARTIFACTS.filter((artifact) => present.has(artifact.file) || hostArtifacts.includes(artifact.key)).map((artifact) => [
      artifact.key,
      `${runDir.artifactPrefix}/${artifact.file}`,
    ]),
  );
}

function harnessKilled(targetName: string, exitCode: number): MemrayError {
  const detail = exitCode > 128 ? ` (signal ${exitCode - 128}: the target stopped, or the process was killed or ran out of memory)` : "";
  return new HarnessKilledError(targetName, exitCode, detail);
}
