import {
  artifactKeyOf,
  describeSignalError,
  hostSectionsSchema,
  type HostSections,
  type RunDir,
  type RunSidecar,
  type SignalsSource,
  type SignalsUnit,
  type WireMockDiscovery,
} from "@alpiq/memray-core";
import createDebug from "debug";
import { elapsedSeconds } from "./elapsed.js";
import type { SignalName } from "./errors.js";
import type { ContainerLogsSignal, ContainerStatsSignal, SignalsProgressEvent, WireMockSignal } from "./signal-types.js";
import { logsSignal } from "./logs-signal.js";
import { takeUsageBefore, usageSignal, writeUsageBefore, type UsageBefore, type UsageContext } from "./usage-signal.js";
import { createWireMockCollector } from "./wiremock-collector.js";
import { withTimeout } from "./with-timeout.js";

const debug = createDebug("memray:signals");

export const DEFAULT_LOGS_SINCE = "5m";
export const DEFAULT_SIGNALS_TIMEOUT_SECONDS = 10;

export interface SignalsSidecarOptions {
  /**
   * What the runtime of the target gives (the docker package's createDockerSignalsSource, the kubernetes
   * package's createPodSignalsSource); null or absent for a run on this host: the container collectors are skipped.
   */
  source?: SignalsSource | null;
  /** --wiremock URL; when absent, WireMock is looked for among the source's units. */
  wiremockUrl?: string | null;
  /** --logs-since: a duration (`5m`), an ISO time or Unix seconds; default 5m. */
  logsSince?: string;
  /** Bound on each collector in each phase, seconds (default 10). */
  timeoutSeconds?: number;
  /** Injected for tests; default the global fetch. */
  fetch?: typeof fetch;
  now?: () => Date;
  onProgress?: (event: SignalsProgressEvent) => void;
}

/** core's RunSidecar, plus what the caller may want to show after the run. */
export interface SignalsSidecar extends RunSidecar {
  /**
   * Start discovery, WireMock's location and the "before" stats readings now (optional; before() does it
   * otherwise). The daemon answers a stats request at its next sample (up to ~1 s): a caller that calls
   * this as soon as it knows the target overlaps that wait with its own preparations, and the target's
   * reading is taken before any of the caller's set-up runs in it.
   */
  prepare(): Promise<void>;
  /** The sections `after` returned (undefined before it ran). */
  readonly sections: HostSections | undefined;
  /** Close a port forward left open when `after` never ran (idempotent). */
  dispose(): Promise<void>;
}

/** summary.json's sections for a run's signals: the signals, and the artifacts entry of each file they wrote. */
export function signalsSections(
  runDir: RunDir,
  signals: { wiremock: WireMockSignal; container_logs: ContainerLogsSignal; container_stats: ContainerStatsSignal },
): HostSections {
  const files = [...signals.wiremock.files, ...signals.container_logs.files, ...signals.container_stats.files];
  const artifacts = Object.fromEntries(
    files.flatMap((file) => {
      const key = artifactKeyOf(file);
      return key ? [[key, `${runDir.artifactPrefix}/${file}`]] : [];
    }),
  );
  return hostSectionsSchema.parse({ signals, artifacts, warnings: [] });
}

const BASE = { files: [] as string[], duration_seconds: null, error: null, reason: null };

/**
 * The signals of one run as core's RunSidecar, for any runtime: `prepare` lists the source's units, finds
 * WireMock and starts the "before" usage reading; `before` writes it and resets the WireMock journal;
 * `after` lists the units again, dumps the journal, collects the logs and takes the "after" reading.
 * Collectors run concurrently, each bounded by `timeoutSeconds`; nothing here throws for a failing
 * signal: each collector records ok / skipped / failed with its reason, and the run goes on.
 */
export function createSignalsSidecar(options: SignalsSidecarOptions = {}): SignalsSidecar {
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_SIGNALS_TIMEOUT_SECONDS;
  const now = options.now ?? (() => new Date());
  const clock = () => now().getTime();
  const source = options.source ?? null;
  const progress = (collector: SignalName, phase: SignalsProgressEvent["phase"], status: SignalsProgressEvent["status"], message: string) => {
    debug("%s %s: %s %s", phase, collector, status, message);
    options.onProgress?.({ collector, phase, status, message });
  };

  let units: SignalsUnit[] = [];
  /** Why the units could not be listed: every collector that needs them fails with it. */
  let listError: string | null = null;
  let usageBefore: Promise<UsageBefore> | undefined;
  let sections: HostSections | undefined;
  let prepared: Promise<void> | undefined;
  let disposed = false;
  const wiremock = createWireMockCollector({
    wiremockUrl: options.wiremockUrl,
    fetch: options.fetch,
    timeoutSeconds,
    clock,
    progress: (...event) => progress("wiremock", ...event),
  });
  const usage = (runtime: SignalsSource): UsageContext => ({
    source: runtime,
    timeoutSeconds,
    clock,
    progress: (...event) => progress("container_stats", ...event),
  });
  const listUnits = (runtime: SignalsSource) => withTimeout("container_logs", timeoutSeconds, (signal) => runtime.listUnits(signal));

  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await prepared; // a forward being opened is closed, not leaked
    await wiremock.close();
  };

  /** Where WireMock is: among the source's units. */
  function discoverWireMock(): WireMockDiscovery {
    if (!source) return { status: "skipped", reason: "no WireMock URL given (--wiremock URL); a run on this host discovers none" };
    if (listError) return { status: "failed", error: listError };
    return source.findWireMock(units);
  }

  /** The units, WireMock's location and the "before" usage reading: start early, await in before(). */
  function prepare(): Promise<void> {
    prepared ??= (async () => {
      const started = clock();
      if (source) {
        try {
          units = await listUnits(source);
        } catch (error) {
          listError = `could not list the ${source.unit}${source.scope ? ` of ${source.scope}` : ""}: ${describeSignalError(error)}`;
        }
        if (!listError) usageBefore = takeUsageBefore(units, usage(source));
      }
      await wiremock.locate(discoverWireMock);
      debug("prepared: %d %s in %s s", units.length, source?.unit ?? "units", elapsedSeconds(started, clock()));
    })();
    return prepared;
  }

  async function before(runDir: RunDir): Promise<void> {
    await prepare();
    // The journal is emptied now, while the last "before" readings arrive: nothing of ours calls WireMock
    // from here to the workload, and calls made before this are not in the journal.
    await Promise.all([source && usageBefore?.then((taken) => writeUsageBefore(taken, runDir.path, usage(source))), wiremock.reset()]);
  }

  /**
   * The units after the workload: `known`, those of `before` (in their latest listing) and any that started
   * since, for the logs; `current`, those listed now. A failed listing leaves the units of `before`.
   */
  async function unitsAfter(runtime: SignalsSource): Promise<{ known: SignalsUnit[]; current: SignalsUnit[] }> {
    try {
      const current = await listUnits(runtime);
      const latest = new Map(current.map((unit) => [unit.key, unit]));
      const seen = new Set(units.map((unit) => unit.key));
      return { known: [...units.map((unit) => latest.get(unit.key) ?? unit), ...current.filter((unit) => !seen.has(unit.key))], current };
    } catch (error) {
      debug("listing the %s again failed: %O", runtime.unit, error);
      return { known: units, current: units };
    }
  }

  /** The logs and usage of the units: skipped on this host, failed without a listing. */
  async function unitSignals(runDir: RunDir): Promise<[ContainerLogsSignal, ContainerStatsSignal]> {
    if (!source)
      return [
        { ...BASE, status: "skipped", reason: "run on this host: no containers" },
        { ...BASE, status: "skipped", reason: "run on this host: no containers" },
      ];
    if (listError)
      return [
        { ...BASE, status: "failed", error: listError },
        { ...BASE, status: "failed", error: listError },
      ];
    const { known, current } = await unitsAfter(source);
    const logsSince = options.logsSince ?? DEFAULT_LOGS_SINCE;
    return Promise.all([
      logsSignal(known, runDir.path, { source, logsSince, timeoutSeconds, now, progress: (...event) => progress("container_logs", ...event) }),
      Promise.resolve(usageBefore).then((taken) => usageSignal(source.afterUsage === "known" ? known : current, taken, runDir.path, usage(source))),
    ]);
  }

  async function after(runDir: RunDir): Promise<HostSections> {
    const started = clock();
    try {
      const [wiremockSignal, [logs, stats]] = await Promise.all([wiremock.dump(runDir.path), unitSignals(runDir)]);
      sections = signalsSections(runDir, { wiremock: wiremockSignal, container_logs: logs, container_stats: stats });
      debug("after: %s s", elapsedSeconds(started, clock()));
      return sections;
    } finally {
      await dispose();
    }
  }

  return {
    // after(): one listing and the collectors, each bounded by timeoutSeconds (+2 s grace).
    waitSeconds: 2 * timeoutSeconds + 5,
    prepare,
    before,
    after,
    dispose,
    get sections() {
      return sections;
    },
  };
}
