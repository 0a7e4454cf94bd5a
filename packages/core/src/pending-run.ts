import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { readRunFile } from "./run-file.js";

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
