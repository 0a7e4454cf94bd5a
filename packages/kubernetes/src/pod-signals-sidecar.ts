import type { HostSections, RunDir } from "@alpiq/memray-core";
import type { V1Pod } from "@kubernetes/client-node";
import {
  createWireMockCollector,
  DEFAULT_LOGS_SINCE,
  DEFAULT_SIGNALS_TIMEOUT_SECONDS,
  describeSignalError,
  parseSince,
  signalsSections,
  SignalWriteError,
  takeStatsBefore,
  withTimeout,
  writeStatsBefore,
  type ContainerLogsSignal,
  type ContainerStatsSignal,
  type SignalName,
  type SignalsPortForward,
  type SignalsProgressEvent,
  type SignalsSidecar,
  type StatsBefore,
  type WireMockDiscovery,
} from "@alpiq/memray-signals";
import createDebug from "debug";
import { forwardPodPort } from "./forward-pod-port.js";
import { toApiError, type KubeClient } from "./kube-client.js";
import { collectPodLogs, podLogSources } from "./pod-logs.js";
import { MetricsUnavailableError, snapshotPodMetrics, writePodMetricsSnapshot, type PodMetricsSnapshot } from "./pod-metrics.js";

const debug = createDebug("memray:kubernetes:signals");

/** Where WireMock runs in the namespace: a pod's container whose name or image says wiremock. */
export interface PodWireMockLocation {
  pod: string;
  container: string;
  /** Its containerPort (8080 when it declares none or several without 8080). */
  port: number;
}

export interface PodSignalsSidecarOptions {
  client: KubeClient;
  /** The profiled pod's namespace: its pods' logs and usage are collected, WireMock is looked for there. */
  namespace: string;
  /** The profiled pod. */
  pod: string;
  /** --wiremock URL; when absent, WireMock is looked for among the namespace's pods and reached through a port-forward. */
  wiremockUrl?: string | null;
  /** --logs-since (default 5m). */
  logsSince?: string;
  /** Bound on each collector in each phase, seconds (default 10). */
  timeoutSeconds?: number;
  /** Reach WireMock's pod port from the host (default: forwardPodPort through the API). */
  openPortForward?: (location: PodWireMockLocation) => Promise<SignalsPortForward>;
  /** The usage snapshot (default: the metrics API); tests pass their own. */
  snapshotMetrics?: (pods: readonly V1Pod[], phase: "before" | "after", signal: AbortSignal) => Promise<PodMetricsSnapshot>;
  fetch?: typeof fetch;
  now?: () => Date;
  onProgress?: (event: SignalsProgressEvent) => void;
}

/**
 * The pods whose usage is measured: running and not being deleted. A Pending pod has no containers to
 * measure yet; a terminating one (still phase Running) drops out of the metrics API as its containers stop,
 * and what it used says nothing about the run.
 */
export const measurablePods = (list: readonly V1Pod[]) => list.filter((pod) => pod.status?.phase === "Running" && !pod.metadata?.deletionTimestamp);
const seconds = (since: number, now: number) => Math.round((now - since) / 10) / 100;
const BASE = { files: [] as string[], duration_seconds: null, error: null, reason: null };

/**
 * The signals of a pod run as core's RunSidecar, in the same shapes and files as a container run's
 * (@alpiq/memray-signals): the WireMock journal (reset before, dumped after; WireMock given by --wiremock
 * or found among the namespace's pods and reached through the API's port-forward), the logs of the
 * namespace's pods (`logs-<namespace>-<deployment>.txt`, --since) and the pods' usage before and after
 * from the metrics API (`container-stats-*.json`; skipped with the reason when the cluster serves none).
 * Nothing here throws for a failing signal: each collector records ok / skipped / failed.
 */
export function createPodSignalsSidecar(options: PodSignalsSidecarOptions): SignalsSidecar {
  const { client, namespace } = options;
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_SIGNALS_TIMEOUT_SECONDS;
  const now = options.now ?? (() => new Date());
  const clock = () => now().getTime();
  const progress = (collector: SignalName, phase: SignalsProgressEvent["phase"], status: SignalsProgressEvent["status"], message: string) => {
    debug("%s %s: %s %s", phase, collector, status, message);
    options.onProgress?.({ collector, phase, status, message });
  };
  const snapshot =
    options.snapshotMetrics ?? ((pods: readonly V1Pod[], phase: "before" | "after", signal: AbortSignal) => snapshotPodMetrics(client, namespace, pods, phase, { signal, now }));
  const openForward =
    options.openPortForward ??
    (async (location: PodWireMockLocation) => {
      const forward = await forwardPodPort({ client, pod: { namespace, pod: location.pod }, podPort: location.port });
      return { url: `http://127.0.0.1:${forward.hostPort}`, close: () => forward.close() };
    });

  let pods: V1Pod[] = [];
  let discoveryError: string | null = null;
  let usageBefore: StatsBefore<PodMetricsSnapshot> | undefined;
  let sections: HostSections | undefined;
  let prepared: Promise<void> | undefined;
  let disposed = false;
  const wiremock = createWireMockCollector({ wiremockUrl: options.wiremockUrl, fetch: options.fetch, timeoutSeconds, clock, progress: (...event) => progress("wiremock", ...event) });

  const listPods = () =>
    client.core.listNamespacedPod({ namespace }).then(
      (list) => list.items.filter((pod) => pod.status?.phase === "Running" || pod.status?.phase === "Pending"),
      (error: unknown) => {
        throw toApiError(error, { server: client.server, context: client.context, verb: "list", resource: "pods", namespace });
      },
    );

  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await prepared;
    await wiremock.close();
  };

  /** Where discovery found WireMock: a pod of the namespace, reached through a port-forward. */
  function discoverWireMock(): WireMockDiscovery {
    if (discoveryError) return { status: "failed", error: `could not list the pods of namespace ${namespace}: ${discoveryError}` };
    const found = findPodWireMock(pods);
    if (!found) return { status: "skipped", reason: `no WireMock pod in namespace ${namespace}; pass --wiremock URL` };
    return { container: `${found.pod}/${found.container}`, address: `${found.pod}:${found.port}`, openForward: () => openForward(found) };
  }

  function prepare(): Promise<void> {
    prepared ??= (async () => {
      try {
        pods = await withTimeout("container_logs", timeoutSeconds, listPods);
      } catch (error) {
        discoveryError = describeSignalError(error);
      }
      const locating = wiremock.locate(discoverWireMock);
      const measuring = (async () => {
        if (discoveryError) return;
        usageBefore = await takeStatsBefore((signal) => snapshot(measurablePods(pods), "before", signal), {
          timeoutSeconds,
          clock,
          skipReason: (error) => (error instanceof MetricsUnavailableError ? error.message : undefined),
        });
      })();
      await Promise.all([locating, measuring]);
    })();
    return prepared;
  }

  async function before(runDir: RunDir): Promise<void> {
    await prepare();
    await writeStatsBefore(usageBefore, (taken) => writePodMetricsSnapshot(runDir.path, taken), (status, message) => progress("container_stats", "before", status, message), "pods");
    // The reset comes last, just before the workload.
    await wiremock.reset();
  }

  /**
   * For the logs, the pods of `before` plus any that started since (the Deployment replaced a deleted
   * one); for the usage, the pods that still exist (a deleted pod has no usage after).
   */
  async function afterPods(): Promise<{ all: V1Pod[]; current: V1Pod[] }> {
    try {
      const current = await withTimeout("container_logs", timeoutSeconds, listPods);
      const known = new Set(current.map((pod) => pod.metadata?.uid));
      return { all: [...current, ...pods.filter((pod) => !known.has(pod.metadata?.uid))], current };
    } catch (error) {
      debug("listing the pods again failed: %O", error);
      return { all: pods, current: pods };
    }
  }

  async function afterLogs(runDir: RunDir, list: V1Pod[]): Promise<ContainerLogsSignal> {
    if (discoveryError) return { ...BASE, status: "failed", error: `could not list the pods of namespace ${namespace}: ${discoveryError}` };
    const t0 = clock();
    let since: Date;
    try {
      since = parseSince(options.logsSince ?? DEFAULT_LOGS_SINCE, now());
    } catch (error) {
      return { ...BASE, status: "failed", error: `--logs-since ${(error as Error).message}` };
    }
    const sources = podLogSources(namespace, list);
    let results;
    try {
      results = await withTimeout("container_logs", timeoutSeconds, (signal) => collectPodLogs({ client, sources, dir: runDir.path, since, signal }));
    } catch (error) {
      return { ...BASE, status: "failed", since: since.toISOString(), duration_seconds: seconds(t0, clock()), error: describeSignalError(error) };
    }
    const failed = results.filter((result) => result.status === "failed");
    const signal: ContainerLogsSignal = {
      ...BASE,
      status: failed.length ? "failed" : "ok",
      files: results.flatMap((result) => (result.written ? [result.file] : [])),
      duration_seconds: seconds(t0, clock()),
      error: failed.length ? `${failed.length} of ${results.length} containers failed: ${failed.map((result) => result.error).join("; ")}` : null,
      since: since.toISOString(),
      containers: Object.fromEntries(
        results.map((result) => [
          `${result.pod}/${result.container}`,
          { status: result.status, error: result.error, service: result.owner ?? result.pod, project: namespace, file: result.written ? result.file : null, bytes: result.bytes },
        ]),
      ),
    };
    progress("container_logs", "after", signal.status, signal.error ?? `${signal.files.length} files`);
    return signal;
  }

  async function afterUsage(runDir: RunDir, list: V1Pod[]): Promise<ContainerStatsSignal> {
    if (discoveryError) return { ...BASE, status: "failed", error: `could not list the pods of namespace ${namespace}: ${discoveryError}` };
    if (usageBefore?.skipped) return { ...BASE, status: "skipped", reason: usageBefore.skipped };
    const t0 = clock();
    const files = usageBefore?.file ? [usageBefore.file] : [];
    const errors: string[] = usageBefore?.error ? [`before: ${usageBefore.error}`] : [];
    let after: PodMetricsSnapshot | undefined;
    try {
      after = await withTimeout("container_stats", timeoutSeconds, (signal) => snapshot(measurablePods(list), "after", signal));
      files.push(
        await writePodMetricsSnapshot(runDir.path, after).catch((error) => {
          throw new SignalWriteError("container_stats", "container-stats-after.json", error);
        }),
      );
    } catch (error) {
      if (error instanceof MetricsUnavailableError && !usageBefore?.snapshot) return { ...BASE, status: "skipped", reason: error.message };
      errors.push(`after: ${describeSignalError(error)}`);
    }
    const beforeSnapshot = usageBefore?.snapshot;
    const names = [...new Set([...Object.keys(beforeSnapshot?.containers ?? {}), ...Object.keys(after?.containers ?? {})])].sort();
    const entries = names.map((name) => {
      const b = beforeSnapshot?.containers[name];
      const a = after?.containers[name];
      const failures = [b?.status === "failed" ? `before: ${b.error}` : null, a?.status === "failed" ? `after: ${a.error}` : null].filter(Boolean);
      return [
        name,
        {
          status: failures.length ? ("failed" as const) : ("ok" as const),
          error: failures.length ? failures.join("; ") : null,
          service: (a ?? b)?.owner ?? name,
          project: namespace,
          memory_before: b?.memory_usage ?? null,
          memory_after: a?.memory_usage ?? null,
          memory_limit: a?.memory_limit ?? b?.memory_limit ?? null,
          memory_percent_after: a?.memory_percent ?? null,
          cpu_percent_after: a?.cpu_percent ?? null,
        },
      ] as const;
    });
    const failed = entries.filter(([, entry]) => entry.status === "failed");
    if (failed.length) errors.push(`${failed.length} of ${entries.length} pods failed: ${failed.map(([name, entry]) => `${name} (${entry.error})`).join("; ")}`);
    const signal: ContainerStatsSignal = {
      ...BASE,
      status: errors.length ? "failed" : "ok",
      files,
      duration_seconds: Math.round(((usageBefore?.seconds ?? 0) + seconds(t0, clock())) * 100) / 100,
      error: errors.length ? errors.join("; ") : null,
      containers: Object.fromEntries(entries),
      unit: "pods",
    };
    progress("container_stats", "after", signal.status, signal.error ?? `${names.length} pods`);
    return signal;
  }

  async function after(runDir: RunDir): Promise<HostSections> {
    try {
      const { all, current } = discoveryError ? { all: [], current: [] } : await afterPods();
      const [wiremockSignal, logs, usage] = await Promise.all([wiremock.dump(runDir.path), afterLogs(runDir, all), afterUsage(runDir, current)]);
      sections = signalsSections(runDir, { wiremock: wiremockSignal, container_logs: logs, container_stats: usage });
      return sections;
    } finally {
      await dispose();
    }
  }

  return {
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

/** The namespace's WireMock: a pod container named like it (preferred) or running its image, and its port. */
export function findPodWireMock(pods: readonly V1Pod[]): PodWireMockLocation | null {
  const candidates = pods.flatMap((pod) =>
    (pod.spec?.containers ?? [])
      .filter((container) => /wiremock/i.test(container.name) || /wiremock/i.test(container.image ?? ""))
      .map((container) => ({ pod, container })),
  );
  const chosen = candidates.find(({ container }) => container.name.toLowerCase() === "wiremock") ?? candidates[0];
  if (!chosen) return null;
  const ports = (chosen.container.ports ?? []).filter((port) => (port.protocol ?? "TCP") === "TCP").map((port) => port.containerPort);
  const port = ports.includes(8080) ? 8080 : ports.length === 1 ? ports[0]! : 8080;
  return { pod: chosen.pod.metadata?.name ?? "", container: chosen.container.name, port };
}
