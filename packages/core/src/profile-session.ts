import { createWriteStream, type WriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import createDebug from "debug";
import { HARNESS_LOG_FILE, SUMMARY_FILE } from "./artifact-table.js";
import { DiskFullError, findNoSpace } from "./disk-full.js";
import { HarnessKilledError, MemrayError, toMemrayError } from "./errors.js";
import type { ExitCodeValue } from "./exit-codes.js";
import type { HarnessEvent } from "./harness-events.js";
import { describeEnd, HarnessInterrupts, HarnessProcess, type HarnessProcessResult } from "./harness-process.js";
import { locateHarnessDir } from "./harness-locator.js";
import { checkInterpreter } from "./interpreter-probe.js";
import { HOST_SECTIONS_FILE, type HostSections } from "./host-sections.js";
import { clearPendingRun, markPendingRun } from "./pending-run.js";
import { interruptCode, type InterruptChannel } from "./interrupts.js";
import { parseOptions, runnableProfileOptionsSchema, type ProfileOptions, type ProfileOptionsInput } from "./profile-options.js";
import { systemClock, type Clock, type RunDir } from "./run-dir.js";
import { settleSummary } from "./settle-summary.js";
import { fallbackSummary, readSummary } from "./summary-io.js";
import { isMode } from "./mode-rules.js";
import { stageHarness, type StagedHarness } from "./stage-harness.js";
import type { Summary, TargetInfo } from "./summary-schema.js";
import type { Target } from "./target/target.js";
import type { TargetChoice } from "./target/target-registry.js";

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
  /** How to connect to the target again (the TargetChoice it was named by): recorded until the run is copied out, for `recover`. */
  reconnect?: TargetChoice;
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

/**
 * Runs one mode on one target and always leaves a valid summary.json in the run directory, also
 * when the options, the target, the harness or the workload fail, or the user interrupts; what was
 * measured is kept. The harness writes summary.json; this writes one only when the harness could not.
 */
export async function runProfile(request: ProfileRequest, hooks: SessionHooks = {}, deps: ProfileDeps = {}): Promise<ProfileResult> {
  return new ProfileRun(request, hooks, deps).execute();
}

/**
 * One run, phase by phase: preflight (interpreter, memray, the OOM count), stage (harness, config and
 * workload files into the target), launch (the harness, with the sidecar's before/after around the
 * workload), recover (a second harness makes the reports when the first ended abruptly), collect
 * (the run directory out of the target) and settle (the one summary.json).
 */
class ProfileRun {
  private readonly startedAt: Date;
  private readonly python: string;
  private readonly targetInfo: TargetInfo;
  private readonly hostArtifacts: string[];
  /** harness.log: announced in every summary, so it exists from the start, whatever happens. */
  private readonly log: WriteStream;
  /** Ctrl-C/SIGTERM: the first stops the workload (or, before the harness runs, preflight and stage), a second abandons the reports, a third kills the harness. */
  private readonly interrupts = new HarnessInterrupts();
  private readonly received = this.interrupts.received;
  private harnessRunning = false;
  private harnessExit: number | null = null;
  private harnessFailure: MemrayError | undefined;
  private failure: MemrayError | undefined;
  private sections: Promise<HostSections> | undefined;
  private delivered: Promise<void> | undefined;

  constructor(
    private readonly request: ProfileRequest,
    private readonly hooks: SessionHooks,
    private readonly deps: ProfileDeps,
  ) {
    this.startedAt = (deps.clock ?? systemClock).now();
    this.python = request.python ?? "python3";
    this.targetInfo = { kind: request.target.kind, name: request.target.name, python: this.python, service_port: request.servicePort ?? null };
    this.hostArtifacts = request.hostArtifacts ?? [];
    this.log = createWriteStream(path.join(request.runDir.path, HARNESS_LOG_FILE), { flags: "a" });
    this.log.on("error", (error) => debug("harness.log: %O", error));
  }

  async execute(): Promise<ProfileResult> {
    const unsubscribe = this.request.interrupts?.subscribe(this.interrupts.receive);
    try {
      const options = parseOptions(runnableProfileOptionsSchema, this.request);
      const oomBefore = await this.preflight();
      const staged = await this.stage(options);
      await this.markPending(staged);
      try {
        this.stopIfInterrupted();
        await this.sidecarBefore();
        this.step("run", `profiling (${options.mode}) on ${this.request.target.name}`);
        const first = await this.launch(staged, []);
        if (first.finishedWith === undefined) await this.recover(staged, first, oomBefore);
      } finally {
        await this.collect(staged);
      }
    } catch (error) {
      this.failure = toMemrayError(error);
    } finally {
      unsubscribe?.();
      await new Promise<void>((resolve) => this.log.end(resolve));
    }
    return this.settle();
  }

  private step(name: string, message: string): void {
    this.hooks.onProgress?.({ type: "step", step: name, message });
  }

  private interruption(): MemrayError {
    const first = this.received[0] ?? "SIGINT";
    return new MemrayError(interruptCode(first), `interrupted by ${first} before the workload started`);
  }

  private stopIfInterrupted(): void {
    if (this.received.length) throw this.interruption();
  }

  /**
   * `work`, or the interruption as soon as a signal comes before the harness runs: nothing in preflight or
   * stage waits past Ctrl-C/SIGTERM (an interpreter that hangs, a target that does not answer). What the
   * work started is stopped through the same signal where it takes one (exec), or cleaned up by `abandon`.
   */
  private untilInterrupted<T>(work: Promise<T>, abandon?: (value: T) => Promise<unknown>): Promise<T> {
    const stop = this.interrupts.beforeHarness.signal;
    if (stop.aborted) {
      work.then(abandon, () => undefined).catch(() => undefined);
      return Promise.reject(this.interruption());
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        work.then(abandon, () => undefined).catch((error) => debug("abandoned work: %O", error));
        reject(this.interruption());
      };
      stop.addEventListener("abort", onAbort, { once: true });
      work.then(
        (value) => {
          stop.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          stop.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }

  /** The interpreter and memray, and the OOM count the end of the run is compared with. */
  private async preflight(): Promise<number | null | undefined> {
    const { target } = this.request;
    this.step("preflight", `checking Python and memray on ${target.name}`);
    const stop = this.interrupts.beforeHarness.signal;
    const { request } = this;
    const check = checkInterpreter({
      target,
      python: this.python,
      allowNoMemray: Boolean(request.allowNoMemray),
      memrayInstallHint: request.memrayInstallHint,
      signal: stop,
    });
    const [, oomBefore] = await this.untilInterrupted(Promise.all([check, target.oomKills().catch(() => null)]));
    this.stopIfInterrupted();
    return oomBefore;
  }

  private stage(options: ProfileOptions): Promise<StagedHarness> {
    const { request } = this;
    this.step("stage", `staging the harness on ${request.target.name}`);
    // Staging interrupted: what it staged meanwhile is removed once it is done.
    return this.untilInterrupted(this.stageNow(options), (staged) => staged.cleanup());
  }

  private stageNow(options: ProfileOptions): Promise<StagedHarness> {
    const { request } = this;
    return stageHarness({
      target: request.target,
      runDir: request.runDir,
      options,
      targetInfo: this.targetInfo,
      harnessDir: this.deps.harnessDir ?? locateHarnessDir(),
      cwd: request.cwd ?? process.cwd(),
      appDir: request.appDir ?? null,
      hostArtifacts: this.hostArtifacts,
      hostSectionsWaitSeconds: request.sidecar ? request.sidecar.waitSeconds : null,
    });
  }

  private async sidecarBefore(): Promise<void> {
    if (!this.request.sidecar) return;
    this.step("signals", "collecting signals before the workload");
    await this.untilInterrupted(this.request.sidecar.before(this.request.runDir).catch((error) => debug("sidecar before: %O", error)));
  }

  /** The sidecar's "after", started once the workload is done; its sections go to the harness while it still runs. */
  private sidecarAfter(staged: StagedHarness): void {
    const { sidecar, runDir } = this.request;
    if (!sidecar || this.sections) return;
    this.sections = sidecar
      .after(runDir)
      .catch((error): HostSections => ({ artifacts: {}, warnings: [`collecting signals failed: ${(error as Error).message}`] }));
    this.delivered = this.sections
      .then((value) => (this.harnessRunning ? staged.deliverSections(value) : undefined))
      .catch((error) => debug("deliver sections: %O", error));
  }

  /** One harness process to its end; `extra`: its further arguments (--recover ENDED). */
  private async launch(staged: StagedHarness, extra: string[]): Promise<HarnessProcessResult> {
    const harness = new HarnessProcess({
      target: this.request.target,
      python: this.python,
      launch: {
        configPath: staged.configPath,
        pythonPath: staged.pythonPath,
        args: extra,
        env: { MEMRAY_RUN_REQUESTS_FILE: staged.config.requests_file },
      },
      log: this.log,
      hardStop: this.interrupts.hardStop.signal,
      onOutput: (event) => {
        this.hooks.onProgress?.(event);
        if (event.type !== "harness") return;
        if (event.event.event === "workload-done") this.sidecarAfter(staged);
        if (event.event.event === "live") void this.hooks.onLive?.(event.event).catch((error) => debug("onLive: %O", error));
      },
    });
    this.harnessRunning = true;
    this.interrupts.harness = harness;
    const result = await harness.start().finally(() => (this.harnessRunning = false));
    // A harness that finished said so, with its exit code (what the workload did at exit cannot change it).
    this.harnessExit = result.finishedWith ?? result.exitCode;
    this.harnessFailure = result.error;
    return result;
  }

  /**
   * The harness ended abruptly (os._exit, a signal, the OOM killer): a second harness makes the reports
   * from session.bin, unless the user stopped it at once or the target itself went away with the capture.
   */
  private async recover(staged: StagedHarness, first: HarnessProcessResult, oomBefore: number | null | undefined): Promise<void> {
    const { target } = this.request;
    const lost = (await target.lostReason?.().catch(() => null)) ?? null;
    const ended = describeEnd(first.exitCode, first.exitSignal) + (await oomEvidence(target, oomBefore)) + (lost ? `; ${lost}` : "");
    const signals = this.received;
    if (signals.length) {
      this.failure = new MemrayError(interruptCode(signals[0]!), `stopped at once by ${signals.length} signals (${ended}); reports were abandoned`);
      return;
    }
    if (!first.workloadStarted || lost) {
      // Ended by itself (no signal) before its workload: a failure of the harness, not a kill.
      const byItself = !lost && !first.exitSignal && first.exitCode < 128;
      this.failure = byItself
        ? new MemrayError("HARNESS_FAILED", `the harness on ${target.name} ended (${ended}) before it started the workload, without finishing its run`)
        : new HarnessKilledError(target.name, first.exitCode, ` (${ended})`);
      return;
    }
    this.step("recover", `the harness ended abruptly (${ended}): making the reports from what was captured`);
    const recovered = await this.launch(staged, ["--recover", ended]).catch((error: unknown) => {
      debug("recovery could not run: %O", error); // the target itself is gone (a stopped container)
      return undefined;
    });
    if (!recovered) [this.harnessExit, this.harnessFailure] = [first.exitCode, undefined];
    if (!recovered || recovered.finishedWith === undefined) this.failure = new HarnessKilledError(target.name, first.exitCode, ` (${ended})`);
  }

  /** The signals' last sections, the run directory out of the target, the staging cleaned up. */
  private async collect(staged: StagedHarness): Promise<void> {
    const { target, runDir } = this.request;
    this.sidecarAfter(staged); // the harness may have ended before its workload did
    await this.delivered;
    if (staged.outDir !== runDir.path) {
      this.step("collect", "copying the run directory out of the target");
      try {
        await target.copyOut(staged.outDir, runDir.path);
      } catch (error) {
        const noSpace = findNoSpace(error);
        this.failure ??= noSpace
          ? new DiskFullError(noSpace.path ?? runDir.path, undefined, error)
          : new MemrayError("COPY_OUT_FAILED", `Could not copy the run out of ${target.name}`, { cause: error });
      }
    }
    // A hand-over the harness never picked up is not part of the run.
    await rm(path.join(runDir.path, HOST_SECTIONS_FILE), { force: true });
    await rm(path.join(runDir.path, `${HOST_SECTIONS_FILE}.tmp`), { force: true });
    await staged.cleanup().catch((error) => debug("cleanup failed: %O", error));
    await clearPendingRun(runDir.path).catch((error) => debug("pending marker: %O", error));
  }

  /**
   * A run in a container or a pod: until its directory is copied out, a marker in the run directory says
   * where it is, so a run whose memray-cli was killed (the harness finishes it there: HOST_LOST) can be
   * brought home by `memray-cli recover`.
   */
  private async markPending(staged: StagedHarness): Promise<void> {
    const { reconnect, runDir } = this.request;
    if (!reconnect || !staged.targetScratch) return;
    await markPendingRun(runDir.path, { choice: reconnect, outDir: staged.outDir, scratchDir: staged.targetScratch }).catch((error) =>
      debug("pending marker: %O", error),
    );
  }

  /** The one summary.json (the harness's, or one written here), then the caller's afterSummary. */
  private async settle(): Promise<ProfileResult> {
    const { request, hooks, startedAt } = this;
    const { runDir } = request;
    const settled = await settleSummary({
      runDir,
      mode: request.mode,
      script: request.script,
      targetInfo: this.targetInfo,
      startedAt,
      failure: this.failure,
      harnessFailure: this.harnessFailure,
      sections: await this.sections,
      hostArtifacts: this.hostArtifacts,
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
    const exitCode = error?.exitCode ?? (this.harnessExit as ExitCodeValue);
    return { summary, runDir, exitCode, warnings, ...(error ? { error } : {}) };
  }
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
  const after = await target.oomKills().catch(() => null);
  return after !== null && after !== undefined && after > before ? ", killed by the kernel's OOM killer (out of memory)" : "";
}
