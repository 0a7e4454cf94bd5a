import { artifactKeyOf, hostSectionsSchema, type HostSections, type RunDir, type RunSidecar, type Signals } from "@alpiq/memray-core";
import createDebug from "debug";
import { collectContainerLogs, type ContainerLogResult } from "./container-logs.js";
import { snapshotContainerStats, writeStatsSnapshot, type CpuReading, type StatsSnapshot } from "./container-stats.js";
import { describeSignalError, SignalWriteError, type SignalName } from "./errors.js";
import { parseSince } from "./since.js";
import { discoverStackContainers, findWireMock, composeProjectOf, type SignalsDockerClient, type SignalsTarget, type StackContainer } from "./stack-discovery.js";
import { takeStatsBefore, writeStatsBefore, type StatsBefore } from "./stats-before.js";
import { createWireMockCollector, type WireMockDiscovery } from "./wiremock-collector.js";
import { withTimeout } from "./with-timeout.js";

const debug = createDebug("memray:signals");

export type WireMockSignal = NonNullable<Signals["wiremock"]>;
export type ContainerLogsSignal = NonNullable<Signals["container_logs"]>;
export type ContainerStatsSignal = NonNullable<Signals["container_stats"]>;

export const DEFAULT_LOGS_SINCE = "5m";
export const DEFAULT_SIGNALS_TIMEOUT_SECONDS = 10;

/** A host port that reaches a container port (the docker package's `forwardPort`), closed after the run. */
export interface SignalsPortForward {
  url: string;
  close(): Promise<void>;
}

export interface SignalsProgressEvent {
  collector: SignalName;
  phase: "before" | "after";
  status: "ok" | "skipped" | "failed";
  message: string;
}

export interface SignalsSidecarOptions {
  /** dockerode client (injected, never constructed here); without it the container collectors are skipped. */
  docker?: SignalsDockerClient | null;
  /** The profiled container; null or absent for a run on this host. */
  target?: SignalsTarget | null;
  /** --wiremock URL; when absent, WireMock is looked for in the target's Compose project. */
  wiremockUrl?: string | null;
  /** --logs-since: a duration (`5m`), an ISO time or Unix seconds; default 5m. */
  logsSince?: string;
  /** Bound on each collector in each phase, seconds (default 10). */
  timeoutSeconds?: number;
  /** Reach WireMock's container port when it publishes none (the CLI passes the docker package's forwardPort). */
  openPortForward?: (container: StackContainer, containerPort: number) => Promise<SignalsPortForward>;
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

const seconds = (since: number, now: number) => Math.round((now - since) / 10) / 100;

/** summary.json's sections for a run's signals: the signals, and the artifacts entry of each file they wrote. */
export function signalsSections(runDir: RunDir, signals: { wiremock: WireMockSignal; container_logs: ContainerLogsSignal; container_stats: ContainerStatsSignal }): HostSections {
  const files = [...signals.wiremock.files, ...signals.container_logs.files, ...signals.container_stats.files];
  const artifacts = Object.fromEntries(
    files.flatMap((file) => {
      const key = artifactKeyOf(file);
      return key ? [[key, `${runDir.artifactPrefix}/${file}`]] : [];
    }),
  );
  return hostSectionsSchema.parse({ signals, artifacts, warnings: [] });
}

/**
 * The signals of one run as core's RunSidecar: `before` resets the WireMock journal and takes the
 * "before" stats; `after` dumps the journal, reads the logs and takes the "after" stats. Collectors run
 * concurrently, each bounded by `timeoutSeconds`; nothing here throws for a failing signal: each
 * collector records ok / skipped / failed with its reason, and the run goes on.
 */
export function createSignalsSidecar(options: SignalsSidecarOptions): SignalsSidecar {
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_SIGNALS_TIMEOUT_SECONDS;
  const now = options.now ?? (() => new Date());
  const clock = () => now().getTime();
  const docker = options.docker ?? null;
  const target = options.target ?? null;
  const containerRun = Boolean(docker && target);
  const progress = (collector: SignalName, phase: SignalsProgressEvent["phase"], status: SignalsProgressEvent["status"], message: string) => {
    debug("%s %s: %s %s", phase, collector, status, message);
    options.onProgress?.({ collector, phase, status, message });
  };

  let containers: StackContainer[] = [];
  let discoveryError: string | null = null;
  let statsBefore: Promise<StatsBefore<StatsSnapshot>> | undefined;
  let beforeCpu: ReadonlyMap<string, CpuReading> | undefined;
  let sections: HostSections | undefined;
  let prepared: Promise<void> | undefined;
  let disposed = false;
  const wiremock = createWireMockCollector({ wiremockUrl: options.wiremockUrl, fetch: options.fetch, timeoutSeconds, clock, progress: (...event) => progress("wiremock", ...event) });

  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await prepared; // a forward being opened is closed, not leaked
    await wiremock.close();
  };

  /** Where discovery found WireMock: a container of the target's Compose project. */
  function discoverWireMock(): WireMockDiscovery {
    if (!containerRun) return { status: "skipped", reason: "no WireMock URL given (--wiremock URL); a run on this host discovers none" };
    if (discoveryError) return { status: "failed", error: `could not list the containers: ${discoveryError}` };
    const project = composeProjectOf(target!.labels);
    if (!project) return { status: "skipped", reason: `${target!.name} belongs to no Compose project; pass --wiremock URL` };
    const found = findWireMock(containers);
    if (!found) return { status: "skipped", reason: `no running WireMock container in Compose project ${project}; pass --wiremock URL` };
    const container = found.container.name;
    if (found.url) return { container, url: found.url };
    if (!options.openPortForward) return { status: "failed", container, error: `${container} publishes no port on 127.0.0.1 and no port forward is available; pass --wiremock URL` };
    const openPortForward = options.openPortForward;
    return { container, address: `${container}:${found.containerPort}`, openForward: () => openPortForward(found.container, found.containerPort) };
  }

  /** Discovery, WireMock's location and the "before" stats readings: start early, await in before(). */
  function prepare(): Promise<void> {
    prepared ??= (async () => {
      const started = clock();
      if (containerRun) {
        try {
          containers = await withTimeout("container_logs", timeoutSeconds, (signal) => discoverStackContainers(docker!, target!, signal));
        } catch (error) {
          discoveryError = describeSignalError(error);
        }
      }
      if (containerRun && !discoveryError) {
        statsBefore = takeStatsBefore(
          async (signal) => {
            const taken = await snapshotContainerStats(docker!, containers, "before", { signal, now });
            beforeCpu = taken.cpu;
            return taken.snapshot;
          },
          { timeoutSeconds, clock },
        );
      }
      await wiremock.locate(discoverWireMock);
      debug("prepared: %d containers in %s s", containers.length, seconds(started, clock()));
    })();
    return prepared;
  }

  async function before(runDir: RunDir): Promise<void> {
    await prepare();
    // The journal is emptied now, while the last "before" readings arrive: nothing of ours calls WireMock
    // from here to the workload, and calls made before this are not in the journal.
    await Promise.all([
      statsBefore?.then((taken) => writeStatsBefore(taken, (snapshot) => writeStatsSnapshot(runDir.path, snapshot), (status, message) => progress("container_stats", "before", status, message), "containers")),
      wiremock.reset(),
    ]);
  }

  /** The containers of `before`, plus any that started since (a removed one stays: it is reported failed). */
  async function afterContainers(): Promise<StackContainer[]> {
    try {
      const current = await withTimeout("container_logs", timeoutSeconds, (signal) => discoverStackContainers(docker!, target!, signal));
      const known = new Set(containers.map((container) => container.id));
      return [...containers, ...current.filter((container) => !known.has(container.id))];
    } catch (error) {
      debug("listing the containers again failed: %O", error);
      return containers;
    }
  }

  async function afterLogs(runDir: RunDir, list: StackContainer[]): Promise<ContainerLogsSignal> {
    const base = { files: [] as string[], duration_seconds: null, error: null, reason: null };
    if (!containerRun) return { ...base, status: "skipped", reason: "run on this host: no containers" };
    if (discoveryError) return { ...base, status: "failed", error: `could not list the containers: ${discoveryError}` };
    const t0 = clock();
    const until = now();
    let since: Date;
    try {
      since = parseSince(options.logsSince ?? DEFAULT_LOGS_SINCE, until);
    } catch (error) {
      return { ...base, status: "failed", error: `--logs-since ${(error as Error).message}` };
    }
    let results: ContainerLogResult[];
    try {
      results = await withTimeout("container_logs", timeoutSeconds, (signal) => collectContainerLogs({ docker: docker!, containers: list, dir: runDir.path, since, until, signal }));
    } catch (error) {
      return { ...base, status: "failed", since: since.toISOString(), duration_seconds: seconds(t0, clock()), error: describeSignalError(error) };
    }
    const failed = results.filter((result) => result.status === "failed");
    const signal: ContainerLogsSignal = {
      ...base,
      status: failed.length ? "failed" : "ok",
      files: results.flatMap((result) => (result.file ? [result.file] : [])),
      duration_seconds: seconds(t0, clock()),
      error: failed.length ? `${failed.length} of ${results.length} containers failed: ${failed.map((result) => result.error).join("; ")}` : null,
      since: since.toISOString(),
      containers: Object.fromEntries(
        results.map((result) => [
          result.container.name,
          {
            status: result.status,
            error: result.error,
            service: result.container.service,
            project: result.container.project,
            file: result.file,
            bytes: result.bytes,
            stdout_bytes: result.stdoutBytes,
            stderr_bytes: result.stderrBytes,
          },
        ]),
      ),
    };
    progress("container_logs", "after", signal.status, signal.error ?? `${signal.files.length} files`);
    return signal;
  }

  async function afterStats(runDir: RunDir, list: StackContainer[]): Promise<ContainerStatsSignal> {
    const base = { files: [] as string[], duration_seconds: null, error: null, reason: null };
    if (!containerRun) return { ...base, status: "skipped", reason: "run on this host: no containers" };
    if (discoveryError) return { ...base, status: "failed", error: `could not list the containers: ${discoveryError}` };
    const t0 = clock();
    const taken = await statsBefore;
    const files = taken?.file ? [taken.file] : [];
    const errors: string[] = taken?.error ? [`before: ${taken.error}`] : [];
    let after: StatsSnapshot | undefined;
    try {
      // CPU % over the workload: from the "before" reading to now.
      after = (await withTimeout("container_stats", timeoutSeconds, (signal) => snapshotContainerStats(docker!, list, "after", { signal, now, since: beforeCpu }))).snapshot;
      files.push(
        await writeStatsSnapshot(runDir.path, after).catch((error) => {
          throw new SignalWriteError("container_stats", "container-stats-after.json", error);
        }),
      );
    } catch (error) {
      errors.push(`after: ${describeSignalError(error)}`);
    }
    const before = taken?.snapshot;
    const names = [...new Set([...Object.keys(before?.containers ?? {}), ...Object.keys(after?.containers ?? {})])].sort();
    const containerEntries = names.map((name) => {
      const b = before?.containers[name];
      const a = after?.containers[name];
      const failures = [b?.status === "failed" ? `before: ${b.error}` : null, a?.status === "failed" ? `after: ${a.error}` : null].filter(Boolean);
      const okB = b?.status === "ok" ? b : undefined;
      const okA = a?.status === "ok" ? a : undefined;
      return [
        name,
        {
          status: failures.length ? ("failed" as const) : ("ok" as const),
          error: failures.length ? failures.join("; ") : null,
          service: (a ?? b)?.service ?? null,
          project: (a ?? b)?.project ?? null,
          memory_before: okB?.memory_usage ?? null,
          memory_after: okA?.memory_usage ?? null,
          memory_limit: okA?.memory_limit ?? okB?.memory_limit ?? null,
          memory_percent_after: okA?.memory_percent ?? null,
          cpu_percent_after: okA?.cpu_percent ?? null,
        },
      ] as const;
    });
    const failedContainers = containerEntries.filter(([, entry]) => entry.status === "failed");
    if (failedContainers.length) errors.push(`${failedContainers.length} of ${containerEntries.length} containers failed: ${failedContainers.map(([name, entry]) => `${name} (${entry.error})`).join("; ")}`);
    const signal: ContainerStatsSignal = {
      ...base,
      status: errors.length ? "failed" : "ok",
      files,
      duration_seconds: Math.round(((taken?.seconds ?? 0) + seconds(t0, clock())) * 100) / 100,
      error: errors.length ? errors.join("; ") : null,
      containers: Object.fromEntries(containerEntries),
    };
    progress("container_stats", "after", signal.status, signal.error ?? `${names.length} containers`);
    return signal;
  }

  async function after(runDir: RunDir): Promise<HostSections> {
    const started = clock();
    try {
      const list = containerRun && !discoveryError ? await afterContainers() : [];
      const [wiremockSignal, logs, stats] = await Promise.all([wiremock.dump(runDir.path), afterLogs(runDir, list), afterStats(runDir, list)]);
      sections = signalsSections(runDir, { wiremock: wiremockSignal, container_logs: logs, container_stats: stats });
      debug("after: %s s", seconds(started, clock()));
      return sections;
    } finally {
      await dispose();
    }
  }

  return {
    // after(): one container listing and the collectors, each bounded by timeoutSeconds (+2 s grace).
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
