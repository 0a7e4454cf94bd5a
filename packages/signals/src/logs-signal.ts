import { describeSignalError, type SignalsSource, type SignalsUnit, type UnitLogResult } from "@alpiq/memray-core";
import { elapsedSeconds } from "./elapsed.js";
import type { ContainerLogsSignal, SignalsProgressEvent } from "./signal-types.js";
import { parseSince } from "./since.js";
import { withTimeout } from "./with-timeout.js";

export interface LogsContext {
  source: SignalsSource;
  /** --logs-since, read at collection time. */
  logsSince: string;
  timeoutSeconds: number;
  now: () => Date;
  progress: (phase: SignalsProgressEvent["phase"], status: SignalsProgressEvent["status"], message: string) => void;
}

const BASE = { files: [] as string[], duration_seconds: null, error: null, reason: null };

/**
 * The logs signal of a run: the logs of `units` from --logs-since to now, written into `dir` by the
 * source, bounded by the timeout. A unit whose log failed is failed with its reason, the others unaffected.
 */
export async function logsSignal(
  units: readonly SignalsUnit[],
  dir: string,
  { source, logsSince, timeoutSeconds, now, progress }: LogsContext,
): Promise<ContainerLogsSignal> {
  const clock = () => now().getTime();
  const t0 = clock();
  const until = now();
  let since: Date;
  try {
    since = parseSince(logsSince, until);
  } catch (error) {
    return { ...BASE, status: "failed", error: `--logs-since ${(error as Error).message}` };
  }
  let results: UnitLogResult[];
  try {
    results = await withTimeout("container_logs", timeoutSeconds, (signal) => source.collectLogs(units, { dir, since, until, signal }));
  } catch (error) {
    return { ...BASE, status: "failed", since: since.toISOString(), duration_seconds: elapsedSeconds(t0, clock()), error: describeSignalError(error) };
  }
  const failed = results.filter((result) => result.status === "failed");
  const signal: ContainerLogsSignal = {
    ...BASE,
    status: failed.length ? "failed" : "ok",
    files: results.flatMap((result) => (result.file ? [result.file] : [])),
    duration_seconds: elapsedSeconds(t0, clock()),
    error: failed.length ? `${failed.length} of ${results.length} containers failed: ${failed.map((result) => result.error).join("; ")}` : null,
    since: since.toISOString(),
    containers: Object.fromEntries(
      results.map((result) => [
        result.name,
        {
          status: result.status,
          error: result.error,
          service: result.service,
          project: result.project,
          file: result.file,
          bytes: result.bytes,
          ...result.extra,
        },
      ]),
    ),
  };
  progress("after", signal.status, signal.error ?? `${signal.files.length} files`);
  return signal;
}
