import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { MemrayError } from "./errors.js";
import { readRunFile } from "./run-file.js";
import type { Target } from "./target/target.js";

/**
 * A run whose results are still in its target: written into the run directory once the harness is
 * staged in a container or a pod, removed once the run directory is copied out. When memray-cli is
 * killed between the two, the harness finishes the run in the target (HOST_LOST) and this file says
 * where: `memray-cli recover RUN_DIR` connects again, copies the results out and completes the run.
 */
export const PENDING_RUN_FILE = ".memray-cli-pending.json";

export interface PendingRun {
  /** The target as the user named it (a TargetChoice: kind, label, the provider's params), to connect again. */
  choice: { kind: string; label: string; params: unknown };
  /** The target's name when the run started (messages). */
  target: string;
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
export const PENDING_FINISH_WAIT_SECONDS = 900;
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
  /** Stops the wait: INTERRUPTED with nothing copied. */
  signal?: AbortSignal;
  timeoutSeconds?: number;
}

/**
 * Waits until the pending run's harness has finished in its target (memray-cli was killed, the harness
 * carries on to its summary): copying before that would take a half-written run and remove the staging
 * under it. RUN_STILL_FINISHING once the wait is over; an aborted wait rejects with the signal's reason.
 */
export async function waitForPendingRun(target: Target, pending: PendingRun, options: WaitForPendingRunOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutSeconds ?? PENDING_FINISH_WAIT_SECONDS) * 1000;
  let told = false;
  while (await pendingRunStillRunning(target, pending)) {
    if (!told) options.onWait?.();
    told = true;
    if (Date.now() >= deadline) {
      throw new MemrayError(
        "RUN_STILL_FINISHING",
        `the harness of this run still runs in ${target.name} after ${options.timeoutSeconds ?? PENDING_FINISH_WAIT_SECONDS} s; nothing was copied`,
      );
    }
    await sleep(PENDING_POLL_MS, undefined, options.signal ? { signal: options.signal } : undefined);
  }
}
