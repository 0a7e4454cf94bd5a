import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describeSignalError, type SignalsSource, type SignalsUnit, type UsageReading } from "@alpiq/memray-core";
import { addSeconds, elapsedSeconds } from "./elapsed.js";
import { SignalWriteError } from "./errors.js";
import type { ContainerStatsSignal, SignalsProgressEvent } from "./signal-types.js";
import { withTimeout } from "./with-timeout.js";

/** The "before" usage reading of a run: taken early (the sidecar's prepare), written by before(). */
export interface UsageBefore {
  reading?: UsageReading;
  /** Why the collector is skipped (the cluster serves no metrics API). */
  skipped?: string;
  error?: string;
  /** container-stats-before.json, once written. */
  file?: string;
  seconds: number;
}

export interface UsageContext {
  source: SignalsSource;
  timeoutSeconds: number;
  /** Milliseconds, for the durations. */
  clock: () => number;
  progress: (phase: SignalsProgressEvent["phase"], status: SignalsProgressEvent["status"], message: string) => void;
}

const BASE = { files: [] as string[], duration_seconds: null, error: null, reason: null };

/** `container-stats-<phase>.json`: the reading as the runtime gives it; returns the file name. */
async function writeReading(dir: string, phase: "before" | "after", reading: UsageReading): Promise<string> {
  const file = `container-stats-${phase}.json`;
  try {
    await writeFile(path.join(dir, file), `${JSON.stringify(reading.raw, null, 2)}\n`);
  } catch (error) {
    throw new SignalWriteError("container_stats", file, error);
  }
  return file;
}

/** The "before" reading of `units`, bounded by the timeout; a failure is recorded, never thrown. */
export async function takeUsageBefore(units: readonly SignalsUnit[], { source, timeoutSeconds, clock }: UsageContext): Promise<UsageBefore> {
  const t0 = clock();
  try {
    const taken = await withTimeout("container_stats", timeoutSeconds, (signal) => source.readUsage(units, "before", { signal }));
    return "skipped" in taken ? { skipped: taken.skipped, seconds: elapsedSeconds(t0, clock()) } : { reading: taken, seconds: elapsedSeconds(t0, clock()) };
  } catch (error) {
    return { error: describeSignalError(error), seconds: elapsedSeconds(t0, clock()) };
  }
}

/** Write the "before" reading into `dir` and report the phase: ok with the count of units, skipped or failed. */
export async function writeUsageBefore(before: UsageBefore, dir: string, { source, progress }: UsageContext): Promise<void> {
  if (before.reading) {
    try {
      before.file = await writeReading(dir, "before", before.reading);
      progress("before", "ok", `${Object.keys(before.reading.units).length} ${source.unit}`);
    } catch (error) {
      before.error = describeSignalError(error);
    }
  }
  if (before.skipped) progress("before", "skipped", before.skipped);
  if (before.error) progress("before", "failed", before.error);
}

/**
 * The usage signal of a run: the "after" reading of `units` (CPU % measured from the "before" reading),
 * written beside the "before" one, and each unit's memory before and after. Skipped when the runtime
 * cannot measure (the "before" reading said so, or the "after" one did and there is no "before"); a unit
 * failing in either reading is failed with the reason, the others unaffected.
 */
export async function usageSignal(
  units: readonly SignalsUnit[],
  before: UsageBefore | undefined,
  dir: string,
  context: UsageContext,
): Promise<ContainerStatsSignal> {
  const { source, timeoutSeconds, clock, progress } = context;
  if (before?.skipped) return { ...BASE, status: "skipped", reason: before.skipped };
  const t0 = clock();
  const files = before?.file ? [before.file] : [];
  const errors: string[] = before?.error ? [`before: ${before.error}`] : [];
  let after: UsageReading | undefined;
  try {
    const taken = await withTimeout("container_stats", timeoutSeconds, (signal) =>
      source.readUsage(units, "after", { signal, since: before?.reading?.window }),
    );
    if ("skipped" in taken) {
      if (!before?.reading) return { ...BASE, status: "skipped", reason: taken.skipped };
      errors.push(`after: ${taken.skipped}`);
    } else {
      after = taken;
      files.push(await writeReading(dir, "after", taken));
    }
  } catch (error) {
    errors.push(`after: ${describeSignalError(error)}`);
  }
  const first = before?.reading?.units ?? {};
  const last = after?.units ?? {};
  const names = [...new Set([...Object.keys(first), ...Object.keys(last)])].sort();
  const entries = names.map((name) => {
    const b = first[name];
    const a = last[name];
    const failures = [b?.status === "failed" ? `before: ${b.error}` : null, a?.status === "failed" ? `after: ${a.error}` : null].filter(Boolean);
    return [
      name,
      {
        status: failures.length ? ("failed" as const) : ("ok" as const),
        error: failures.length ? failures.join("; ") : null,
        service: (a ?? b)?.service ?? null,
        project: (a ?? b)?.project ?? null,
        memory_before: b?.memory_usage ?? null,
        memory_after: a?.memory_usage ?? null,
        memory_limit: a?.memory_limit ?? b?.memory_limit ?? null,
        memory_percent_after: a?.memory_percent ?? null,
        cpu_percent_after: a?.cpu_percent ?? null,
      },
    ] as const;
  });
  const failed = entries.filter(([, entry]) => entry.status === "failed");
  if (failed.length)
    errors.push(`${failed.length} of ${entries.length} ${source.unit} failed: ${failed.map(([name, entry]) => `${name} (${entry.error})`).join("; ")}`);
  const signal: ContainerStatsSignal = {
    ...BASE,
    status: errors.length ? "failed" : "ok",
    files,
    duration_seconds: addSeconds(before?.seconds ?? 0, elapsedSeconds(t0, clock())),
    error: errors.length ? errors.join("; ") : null,
    containers: Object.fromEntries(entries),
    // Absent means containers (the schema's default): a container run's summary reads as it always has.
    ...(source.unit !== "containers" ? { unit: source.unit } : {}),
  };
  progress("after", signal.status, signal.error ?? `${names.length} ${source.unit}`);
  return signal;
}
