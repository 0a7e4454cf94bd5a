import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { MemrayError } from "./errors.js";
import { interruptCode } from "./interrupts.js";
import type { RunDir } from "./run-dir.js";
import { readRunFile } from "./run-file.js";
import type { Target } from "./target/target.js";
import type { TargetChoice, TargetRegistry } from "./target/target-registry.js";

/**
 * A run whose results are still in its target: written into the run directory once the harness is
 * staged in a container or a pod, removed once the run directory is copied out. When memray-cli is
 * killed between the two, the harness finishes the run in the target (HOST_LOST) and this file says
 * where: `memray-cli recover RUN_DIR` connects again, copies the results out and completes the run.
 */
export const PENDING_RUN_FILE = ".memray-cli-pending.json";

export interface PendingRun {
  /** The target as the user named it, to connect again. */
  choice: TargetChoice;
  /** Where the run directory is in the target. */
  outDir: string;
  /** The staging directory in the target, removed once the results are out. */
  scratchDir: string;
}

export async function markPendingRun(runDir: string, pending: PendingRun): Promise<void> {
  await writeFile(path.join(runDir, PENDING_RUN_FILE), `${JSON.stringify(pending, null, 2)}\n`);
}

export async function clearPendingRun(runDir: string): Promise<void> {
  await rm(path.join(runDir, PENDING_RUN_FILE), { force: true });
}

/** The marker, or null when the run's results are all here (or the file is not ours). */
export async function readPendingRun(runDir: string): Promise<PendingRun | null> {
  try {
    // A FIFO or a device in its place is refused, never waited on.
    const value = JSON.parse((await readRunFile(path.join(runDir, PENDING_RUN_FILE))).toString("utf8")) as Partial<PendingRun>;
    const choice = value.choice;
    if (!choice || typeof choice.kind !== "string" || typeof value.outDir !== "string" || typeof value.scratchDir !== "string") return null;
    return value as PendingRun;
  } catch {
    return null;
  }
}

/** How long `recover` waits for a harness still finishing its run in the target (the reports of a large capture). */
const PENDING_FINISH_WAIT_SECONDS = 900;
const PENDING_POLL_MS = 1000;

// A process whose command line names the staging directory ($1, an argument: never part of the script)
// is the run's harness or one of its processes. The glob is expanded before any subshell exists; the
// shell skips itself.
const STILL_RUNNING_SCRIPT = [
  'for f in /proc/[0-9]*/cmdline; do [ "$f" = "/proc/$$/cmdline" ] && continue',
  'c=$(tr "\\000" " " < "$f" 2>/dev/null) || continue',
  'case "$c" in *"$1"*) echo running; exit 0;; esac; done',
].join("; ");

/** Whether a process of the pending run (its harness) still runs in the target. */
export async function pendingRunStillRunning(target: Target, pending: PendingRun): Promise<boolean> {
  const result = await target.exec(["sh", "-c", STILL_RUNNING_SCRIPT, "sh", pending.scratchDir]);
  return result.stdout.includes("running");
}

export interface WaitForPendingRunOptions {
  /** Called once, when the harness is found still at work. */
  onWait?: () => void;
  /** Stops the wait: it rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  timeoutSeconds?: number;
}

/**
 * Waits until the pending run's harness has finished in its target (memray-cli was killed, the harness
 * carries on to its summary): copying before that would take a half-written run and remove the staging
 * under it. RUN_STILL_FINISHING once the wait is over; an aborted wait rejects with the signal's reason.
 */
export async function waitForPendingRun(target: Target, pending: PendingRun, options: WaitForPendingRunOptions = {}): Promise<void> {
  const timeout = options.timeoutSeconds ?? PENDING_FINISH_WAIT_SECONDS;
  const deadline = Date.now() + timeout * 1000;
  let told = false;
  while (await pendingRunStillRunning(target, pending)) {
    if (!told) options.onWait?.();
    told = true;
    if (Date.now() >= deadline) {
      throw new MemrayError("RUN_STILL_FINISHING", `the harness of this run still runs in ${target.name} after ${timeout} s; nothing was copied`);
    }
    await sleep(PENDING_POLL_MS, undefined, options.signal ? { signal: options.signal } : undefined);
  }
}

export interface BringPendingRunHomeOptions {
  /** Progress: one line per step. */
  onStep?: (message: string) => void;
  /** Ctrl-C/SIGTERM (the reason names the signal): stops the wait for the harness; nothing is copied then. */
  signal?: AbortSignal | undefined;
}

/**
 * A run whose results are still in its container or pod (memray-cli was killed before it copied them
 * out): connect again, wait for its harness there to finish, copy the run directory out, remove the
 * staging and the marker. Nothing to do when the run directory holds no marker.
 */
export async function bringPendingRunHome(runDir: RunDir, targets: TargetRegistry, options: BringPendingRunHomeOptions = {}): Promise<void> {
  const pending = await readPendingRun(runDir.path);
  if (!pending) return;
  const step = options.onStep ?? (() => undefined);
  step(`connecting to ${pending.choice.label} again: the run is still there (${pending.outDir})`);
  const connection = await targets.connect(pending.choice);
  const { target } = connection;
  try {
    await waitForPendingRun(target, pending, {
      signal: options.signal,
      onWait: () => step(`its harness is still finishing the run in ${target.name}: waiting for it (Ctrl-C stops waiting)`),
    }).catch((error: unknown) => {
      if (!options.signal?.aborted) throw error;
      const signal = options.signal.reason === "SIGTERM" ? "SIGTERM" : "SIGINT";
      throw new MemrayError(
        interruptCode(signal),
        `stopped waiting for the harness in ${target.name} (${signal}): nothing was copied, the run is still there`,
        {
          hint: `run \`memray-cli recover ${runDir.artifactPrefix}\` again once it has finished`,
        },
      );
    });
    step(`copying the run directory out of ${target.name}`);
    await target.copyOut(pending.outDir, runDir.path);
    await target.exec(["rm", "-rf", "--", pending.scratchDir]).catch(() => undefined);
    await clearPendingRun(runDir.path);
  } finally {
    await connection.dispose?.();
  }
}
