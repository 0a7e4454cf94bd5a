/**
 * What a runtime gives the signals sidecar (`@alpiq/memray-signals`): the units it watches around a run
 * (a Compose project's containers, a namespace's pods), where WireMock runs among them, the units' usage
 * before and after the workload, and their logs. The sidecar owns the rest, the same for every runtime:
 * when each step runs, its timeout, the files' names, the summary sections and how failures are recorded.
 * A source reports a failing unit in its result and may throw for a failing call as a whole: the sidecar
 * records either, never passing it on.
 */

/** One thing a runtime watches: a container, a pod. */
export interface SignalsUnit {
  /** Stable across listings (container id, pod uid): a unit listed twice is one unit. */
  key: string;
  /** What summary.json calls it (container name, pod name). */
  name: string;
  /** Compose service, or the pod's Deployment. */
  service: string | null;
  /** Compose project, or the pod's namespace. */
  project: string | null;
}

/** A host port that reaches WireMock's port (a port forward), closed after the run. */
export interface SignalsPortForward {
  url: string;
  close(): Promise<void>;
}

/** Where WireMock runs among a source's units. */
export type WireMockDiscovery =
  | { status: "skipped"; reason: string }
  | { status: "failed"; error: string; container?: string }
  /** Reachable from the host as is (a port published on 127.0.0.1). */
  | { container: string; url: string }
  /** Reachable through a port forward; `address` (`name:port`) names it when the forward fails. */
  | { container: string; address: string; openForward: () => Promise<SignalsPortForward> };

/** One unit at one usage reading (bytes, percent of the limit, percent of one CPU); null where unknown. */
export interface UnitUsage {
  status: "ok" | "failed";
  error?: string | null;
  service: string | null;
  project: string | null;
  memory_usage: number | null;
  memory_limit: number | null;
  memory_percent: number | null;
  cpu_percent: number | null;
}

/** A usage reading of some units. */
export interface UsageReading<W = unknown> {
  /** What `container-stats-<phase>.json` holds: the runtime's own JSON. */
  raw: object;
  /** Each unit's usage, by the name summary.json gives it. */
  units: Record<string, UnitUsage>;
  /** What a later reading's CPU % is measured from (the source's own counters); the sidecar passes it back. */
  window?: W;
}

/** The runtime cannot measure usage at all (the cluster serves no metrics API): the collector is skipped with `reason`. */
export interface UsageSkipped {
  skipped: string;
}

/** One log file of a run (one per container; a pod has one per container of it). */
export interface UnitLogResult {
  /** summary.json's key (`local-forecast-1`, `forecast-7d9-x/forecast`). */
  name: string;
  status: "ok" | "failed";
  error: string | null;
  service: string | null;
  project: string | null;
  /** The file written in the run directory (kept, possibly partial, when the stream broke off); null when none. */
  file: string | null;
  bytes: number;
  /** More numbers for summary.json's entry (`stdout_bytes`, `stderr_bytes`). */
  extra?: Record<string, number>;
}

export interface SignalsSource<U extends SignalsUnit = SignalsUnit, W = unknown> {
  /** What the units are: in messages (`3 of 4 pods failed`) and summary.json's `container_stats.unit`. */
  readonly unit: "containers" | "pods";
  /** Where the units are listed, for messages (`namespace default`); null when the word alone says it. */
  readonly scope: string | null;
  /**
   * Which units the "after" usage reading covers: `known`, every unit of the run, those gone since
   * included (they are reported failed); `current`, only those listed after the workload.
   */
  readonly afterUsage: "known" | "current";
  /** The units of the run, now. */
  listUnits(signal: AbortSignal): Promise<U[]>;
  /** Where WireMock is among `units` (asked only when no --wiremock URL is given). */
  findWireMock(units: readonly U[]): WireMockDiscovery;
  /** One usage reading of `units`; CPU % measured from `since` (the "before" reading's window) when given. */
  readUsage(units: readonly U[], phase: "before" | "after", options: { signal: AbortSignal; since?: W | undefined }): Promise<UsageReading<W> | UsageSkipped>;
  /** The logs of `units` from `since` to `until`, written into `dir`; a failing unit never fails the others. */
  collectLogs(units: readonly U[], options: { dir: string; since: Date; until: Date; signal: AbortSignal }): Promise<UnitLogResult[]>;
}

/** One line for summary.json: the message, with the cause's code when it says more (`... (ECONNREFUSED)`). */
export function describeSignalError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
}
