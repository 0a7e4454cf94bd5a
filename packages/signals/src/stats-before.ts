import { describeSignalError, SignalWriteError } from "./errors.js";
import type { SignalsProgressEvent } from "./signals-sidecar.js";
import { withTimeout } from "./with-timeout.js";

/** The "before" usage snapshot of a run: taken early (a sidecar's prepare), written by before(). */
export interface StatsBefore<S> {
  snapshot?: S;
  /** Why the collector is skipped (e.g. the cluster serves no metrics API). */
  skipped?: string;
  error?: string;
  /** container-stats-before.json, once written. */
  file?: string;
  seconds: number;
}

const seconds = (since: number, now: number) => Math.round((now - since) / 10) / 100;

/** Take the snapshot, bounded by `timeoutSeconds`; `skipReason` turns an error into a skip (undefined: a failure). */
export async function takeStatsBefore<S>(
  take: (signal: AbortSignal) => Promise<S>,
  options: { timeoutSeconds: number; clock: () => number; skipReason?: (error: unknown) => string | undefined },
): Promise<StatsBefore<S>> {
  const t0 = options.clock();
  try {
    const snapshot = await withTimeout("container_stats", options.timeoutSeconds, take);
    return { snapshot, seconds: seconds(t0, options.clock()) };
  } catch (error) {
    const skipped = options.skipReason?.(error);
    return skipped !== undefined ? { skipped, seconds: seconds(t0, options.clock()) } : { error: describeSignalError(error), seconds: seconds(t0, options.clock()) };
  }
}

/** Write the snapshot with `write` and report the "before" phase: ok with the count of `unit` (containers, pods), skipped or failed. */
export async function writeStatsBefore<S extends { containers: object }>(
  before: StatsBefore<S> | undefined,
  write: (snapshot: S) => Promise<string>,
  progress: (status: SignalsProgressEvent["status"], message: string) => void,
  unit: string,
): Promise<void> {
  if (before?.snapshot) {
    try {
      before.file = await write(before.snapshot);
      progress("ok", `${Object.keys(before.snapshot.containers).length} ${unit}`);
    } catch (error) {
      before.error = describeSignalError(new SignalWriteError("container_stats", "container-stats-before.json", error));
    }
  }
  if (before?.skipped) progress("skipped", before.skipped);
  if (before?.error) progress("failed", before.error);
}
