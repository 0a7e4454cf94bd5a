import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import createDebug from "debug";
import { HARNESS_LOG_FILE, SUMMARY_FILE } from "./artifact-table.js";
import { DiskFullError, findNoSpace } from "./disk-full.js";
import { ERROR_CODES } from "./error-codes.js";
import { HarnessKilledError, MemrayError, MemrayNotInstalledError, PythonNotFoundError, toMemrayError } from "./errors.js";
import type { ExitCodeValue } from "./exit-codes.js";
import type { HarnessEvent } from "./harness-events.js";
import { describeEnd, HarnessProcess, type HarnessProcessResult } from "./harness-process.js";
import { locateHarnessDir } from "./harness-locator.js";
import { HOST_SECTIONS_FILE, type HostSections } from "./host-sections.js";
import { interruptCode, type InterruptChannel, type InterruptSignal } from "./interrupts.js";
import { parseOptions, runnableProfileOptionsSchema, type ProfileOptionsInput } from "./profile-options.js";
import { systemClock, type Clock, type RunDir } from "./run-dir.js";
import { settleSummary } from "./settle-summary.js";
import { fallbackSummary, readSummary } from "./summary-io.js";
import { isMode } from "./mode-rules.js";
import { stageHarness } from "./stage-harness.js";
import type { Summary, TargetInfo } from "./summary-schema.js";
import type { Target } from "./target/target.js";

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
   * Ctrl-C/SIGTERM from the user: the first stops the workload gracefully (what was measured is kept,
   * reports are made from it), a second abandons the reports, a third stops the harness at once.
   */
  interrupts?: Pick<InterruptChannel, "subscribe">;
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

/** Exit codes a harness ends with when it finished its run (anything else: it was killed or crashed). */
const FINISHED_EXITS = new Set<number>([0, ...Object.values(ERROR_CODES).map((rule) => rule.exitCode)]);

/**
 * Runs one mode on one target and always leaves a valid summary.json in the run directory, also
 * when the options, the target, the harness or the workload fail, or the user interrupts; what was
 * measured is kept. The harness writes summary.json; this writes one only when the harness could not.
 */
export async function runProfile(request: ProfileRequest, hooks: SessionHooks = {}, deps: ProfileDeps = {}): Promise<ProfileResult> {
  const startedAt = (deps.clock ?? systemClock).now();
  const { runDir, target } = request;
  const step = (name: string, message: string) => hooks.onProgress?.({ type: "step", step: name, message });
  const python = request.python ?? "python3";
  const targetInfo: TargetInfo = { kind: target.kind, name: target.name, python, service_port: request.servicePort ?? null };
  const hostArtifacts = request.hostArtifacts ?? [];
  // harness.log is announced in every summary: it exists from the start, whatever happens.
  const log = createWriteStream(path.join(runDir.path, HARNESS_LOG_FILE), { flags: "a" });
  log.on("error", (error) => debug("harness.log: %O", error));

  const received: InterruptSignal[] = [];
  const hardStop = new AbortController();
  let harness: HarnessProcess | undefined;
  const unsubscribe = request.interrupts?.subscribe((signal) => {
    received.push(signal);
    if (received.length >= 3) hardStop.abort();
    void harness?.signal(received.length >= 3 ? "SIGKILL" : signal);
  });
  const stopIfInterrupted = () => {
    if (received.length) throw new MemrayError(interruptCode(received[0]!), `interrupted by ${received[0]} before the workload started`);
  };

  let harnessExit: number | null = null;
  let harnessFailure: MemrayError | undefined;
  let failure: MemrayError | undefined;
  let sections: Promise<HostSections> | undefined;
  let delivered: Promise<void> | undefined;

  try {
    const options = parseOptions(runnableProfileOptionsSchema, request);
    step("preflight", `checking Python and memray on ${target.name}`);
    const [, oomBefore] = await Promise.all([checkInterpreter(request, python), target.oomKills?.().catch(() => null)]);
    stopIfInterrupted();

    step("stage", `staging the harness on ${target.name}`);
    const staged = await stageHarness({
      target,
      runDir,
      options,
      targetInfo,
      harnessDir: deps.harnessDir ?? locateHarnessDir(),
      cwd: request.cwd ?? process.cwd(),
      appDir: request.appDir ?? null,
      hostArtifacts,
      hostSectionsWaitSeconds: request.sidecar ? request.sidecar.waitSeconds : null,
    });
    let harnessRunning = false;
    const startAfter = () => {
      const sidecar = request.sidecar;
      if (!sidecar || sections) return;
      sections = sidecar
        .after(runDir)
        .catch((error): HostSections => ({ artifacts: {}, warnings: [`collecting signals failed: ${(error as Error).message}`] }));
      delivered = sections
        .then((value) => (harnessRunning ? staged.deliverSections(value) : undefined))
        .catch((error) => debug("deliver sections: %O", error));
    };
    try {
      stopIfInterrupted();
      if (request.sidecar) {
        step("signals", "collecting signals before the workload");
        await request.sidecar.before(runDir).catch((error) => debug("sidecar before: %O", error));
      }
      step("run", `profiling (${options.mode}) on ${target.name}`);
      const launch = (extra: string[]) =>
        new HarnessProcess({
          target,
          python,
          argv: [python, "-m", "memray_harness", "--config", staged.configPath, ...extra],
          env: { PYTHONPATH: staged.pythonPath, PYTHONUNBUFFERED: "1", MEMRAY_RUN_REQUESTS_FILE: staged.config.requests_file },
          log,
          hardStop: hardStop.signal,
          onOutput: (event) => {
            hooks.onProgress?.(event);
            if (event.type !== "harness") return;
            if (event.event.event === "workload-done") startAfter();
            if (event.event.event === "live") void hooks.onLive?.(event.event).catch((error) => debug("onLive: %O", error));
          },
        });
      harness = launch([]);
      harnessRunning = true;
      const first = await harness.start().finally(() => (harnessRunning = false));
      harnessExit = first.exitCode;
      harnessFailure = first.error;
      if (!FINISHED_EXITS.has(first.exitCode)) {
        // A target that went away (a deleted pod) took the capture with it: nothing is left to recover from.
        const lost = (await target.lostReason?.().catch(() => null)) ?? null;
        const ended = describeEnd(first.exitCode, first.exitSignal) + (await oomEvidence(target, oomBefore)) + (lost ? `; ${lost}` : "");
        if (received.length) {
          failure = new MemrayError(interruptCode(received[0]!), `stopped at once by ${received.length} signals (${ended}); reports were abandoned`);
        } else if (first.workloadStarted && !lost) {
          // The process ended abruptly (os._exit, a signal, OOM): a second harness finishes the run from session.bin.
          step("recover", `the harness ended abruptly (${ended}): making the reports from what was captured`);
          harness = launch(["--recover", ended]);
          const recovered: HarnessProcessResult | undefined = await harness.start().catch((error) => {
            debug("recovery could not run: %O", error); // the target itself is gone (a stopped container)
            return undefined;
          });
          harnessExit = recovered?.exitCode ?? first.exitCode;
          harnessFailure = recovered?.error;
          if (!recovered || !FINISHED_EXITS.has(recovered.exitCode)) failure = new HarnessKilledError(target.name, first.exitCode, ` (${ended})`);
        } else {
          failure = new HarnessKilledError(target.name, first.exitCode, ` (${ended})`);
        }
      }
    } finally {
      startAfter(); // the harness may have ended before its workload did
      await delivered;
      if (staged.outDir !== runDir.path) {
        step("collect", "copying the run directory out of the target");
        try {
          await target.copyOut(staged.outDir, runDir.path);
        } catch (error) {
          const noSpace = findNoSpace(error);
          failure ??= noSpace
            ? new DiskFullError(noSpace.path ?? runDir.path, undefined, error)
            : new MemrayError("COPY_OUT_FAILED", `Could not copy the run out of ${target.name}`, { cause: error });
        }
      }
      // A hand-over the harness never picked up is not part of the run.
      await rm(path.join(runDir.path, HOST_SECTIONS_FILE), { force: true });
      await rm(path.join(runDir.path, `${HOST_SECTIONS_FILE}.tmp`), { force: true });
      await staged.cleanup().catch((error) => debug("cleanup failed: %O", error));
    }
  } catch (error) {
    failure = toMemrayError(error);
  } finally {
    unsubscribe?.();
    await new Promise<void>((resolve) => log.end(resolve));
  }

  const settled = await settleSummary({
    runDir,
    mode: request.mode,
    script: request.script,
    targetInfo,
    startedAt,
    failure,
    harnessFailure,
    sections: await sections,
    hostArtifacts,
  }).catch((writeError: unknown) => {
    // summary.json itself could not be written (disk full): everything already written stays.
    if (!(writeError instanceof DiskFullError)) throw writeError;
    return { summary: undefined, error: writeError };
  });
  const error = settled.error;
  const summary = settled.summary ?? (await readSummary(path.join(runDir.path, SUMMARY_FILE)).catch(() => undefined));
  const warnings: string[] = [];
  if (!summary) {
    return { summary: unwritten(request, runDir, startedAt, error!), runDir, exitCode: error!.exitCode, warnings, error: error! };
  }
  try {
    await hooks.afterSummary?.(summary, runDir);
  } catch (afterError) {
    warnings.push(`finishing the run directory failed: ${(afterError as Error).message}`);
  }
  const exitCode = error?.exitCode ?? (harnessExit as ExitCodeValue);
  return { summary, runDir, exitCode, warnings, ...(error ? { error } : {}) };
}

/** What the CLI prints when summary.json itself could not be written (the disk is full). */
function unwritten(request: ProfileRequest, runDir: RunDir, startedAt: Date, error: MemrayError): Summary {
  return fallbackSummary({
    runId: runDir.runId,
    mode: typeof request.mode === "string" && isMode(request.mode) ? request.mode : undefined,
    script: typeof request.script === "string" ? request.script : null,
    timestamp: startedAt,
    error: error.reason,
    errorCode: error.code,
  });
}

/** " — killed by the kernel's OOM killer" when the target's OOM count grew during the run, else "". */
async function oomEvidence(target: Target, before: number | null | undefined): Promise<string> {
  if (before === null || before === undefined) return "";
  const after = await target.oomKills?.().catch(() => null);
  return after !== null && after !== undefined && after > before ? ", killed by the kernel's OOM killer (out of memory)" : "";
}

/** Exit code of the probe when Python runs but memray does not import. */
const MEMRAY_MISSING = 42;
// memray is looked for, not imported (~0.1 s less per run): a memray that is there but does not import is
// reported by the harness itself, as MEMRAY_NOT_INSTALLED with the import error.
const PROBE = [
  "import sys",
  "print('%d.%d.%d' % sys.version_info[:3])",
  "try:\n    import importlib.util\n    found = importlib.util.find_spec('memray')\nexcept Exception:\n    found = None",
  "sys.exit(0 if found else 42)",
].join("\n");

/** One round trip: is the interpreter there, new enough, and is memray installed? */
async function checkInterpreter(request: ProfileRequest, python: string): Promise<void> {
  const { target } = request;
  const probe = await target.exec([python, "-c", PROBE]);
  if (probe.exitCode !== 0 && probe.exitCode !== MEMRAY_MISSING) {
    throw new PythonNotFoundError(python, target.name, probe.stderr.trim() ? new Error(probe.stderr.trim()) : undefined);
  }
  const version = probe.stdout.trim().split("\n")[0] ?? "";
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < 3 || (major === 3 && minor < 9)) {
    throw new MemrayError("PYTHON_TOO_OLD", `${python} on ${target.name} is Python ${version || "of unknown version"}; memray and the harness need Python >= 3.9`);
  }
  if (probe.exitCode === MEMRAY_MISSING && !request.allowNoMemray) {
    throw new MemrayNotInstalledError(python, target.name, request.memrayInstallHint ?? `${python} -m pip install memray`);
  }
}
