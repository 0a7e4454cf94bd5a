import type { SignalsPortForward, SignalsSource, SignalsUnit, UnitUsage } from "@alpiq/memray-core";
import type { V1Pod } from "@kubernetes/client-node";
import { forwardPodPort } from "./forward-pod-port.js";
import { toApiError, type KubeClient } from "./kube-client.js";
import { collectPodLogs, podLogSources } from "./pod-logs.js";
import { MetricsUnavailableError, snapshotPodMetrics, type PodMetricsSnapshot } from "./pod-metrics.js";
import { ownerOf } from "./resolve-pod.js";

/** Where WireMock runs in the namespace: a pod's container whose name or image says wiremock. */
export interface PodWireMockLocation {
  pod: string;
  container: string;
  /** Its containerPort (8080 when it declares none or several without 8080). */
  port: number;
}

/** A pod of the namespace whose logs and usage a run collects. */
export interface PodSignalsUnit extends SignalsUnit {
  pod: V1Pod;
}

export interface PodSignalsSourceOptions {
  client: KubeClient;
  /** The profiled pod's namespace: its pods' logs and usage are collected, WireMock is looked for there. */
  namespace: string;
  /** Reach WireMock's pod port from the host (default: forwardPodPort through the API). */
  openPortForward?: (location: PodWireMockLocation) => Promise<SignalsPortForward>;
  /** The usage snapshot (default: the metrics API); tests pass their own. */
  snapshotMetrics?: (pods: readonly V1Pod[], phase: "before" | "after", signal: AbortSignal) => Promise<PodMetricsSnapshot>;
  /** For the snapshots' `taken_at`; default the system clock. */
  now?: () => Date;
}

/**
 * The pods whose usage is measured: running and not being deleted. A Pending pod has no containers to
 * measure yet; a terminating one (still phase Running) drops out of the metrics API as its containers stop,
 * and what it used says nothing about the run.
 */
export const measurablePods = (list: readonly V1Pod[]) => list.filter((pod) => pod.status?.phase === "Running" && !pod.metadata?.deletionTimestamp);

const unitOf = (namespace: string, pod: V1Pod): PodSignalsUnit => {
  const name = pod.metadata?.name ?? "";
  return { key: pod.metadata?.uid ?? name, name, service: ownerOf(pod)?.name ?? name, project: namespace, pod };
};

/**
 * The signals source of a pod run (core's SignalsSource, for @alpiq/memray-signals' sidecar), in the same
 * shapes and files as a container run's: the namespace's Running and Pending pods, WireMock among them
 * (reached through the API's port-forward), their usage from the metrics API (`kubectl top pod`; skipped
 * with the reason when the cluster serves none; after the workload only the pods that still run) and
 * their logs (`logs-<namespace>-<deployment>.txt`).
 */
export function createPodSignalsSource(options: PodSignalsSourceOptions): SignalsSource<PodSignalsUnit> {
  const { client, namespace } = options;
  const snapshot =
    options.snapshotMetrics ??
    ((pods: readonly V1Pod[], phase: "before" | "after", signal: AbortSignal) =>
      snapshotPodMetrics(client, namespace, pods, phase, { signal, now: options.now }));
  const openForward =
    options.openPortForward ??
    (async (location: PodWireMockLocation) => {
      const forward = await forwardPodPort({ client, pod: { namespace, pod: location.pod }, podPort: location.port });
      return { url: `http://127.0.0.1:${forward.hostPort}`, close: () => forward.close() };
    });

  return {
    unit: "pods",
    scope: `namespace ${namespace}`,
    afterUsage: "current",

    async listUnits() {
      try {
        const list = await client.core.listNamespacedPod({ namespace });
        return list.items.filter((pod) => pod.status?.phase === "Running" || pod.status?.phase === "Pending").map((pod) => unitOf(namespace, pod));
      } catch (error) {
        throw toApiError(error, { server: client.server, context: client.context, verb: "list", resource: "pods", namespace });
      }
    },

    findWireMock(units) {
      const found = findPodWireMock(units.map((unit) => unit.pod));
      if (!found) return { status: "skipped", reason: `no WireMock pod in namespace ${namespace}; pass --wiremock URL` };
      return { container: `${found.pod}/${found.container}`, address: `${found.pod}:${found.port}`, openForward: () => openForward(found) };
    },

    async readUsage(units, phase, { signal }) {
      let taken: PodMetricsSnapshot;
      try {
        taken = await snapshot(measurablePods(units.map((unit) => unit.pod)), phase, signal);
      } catch (error) {
        if (error instanceof MetricsUnavailableError) return { skipped: error.message };
        throw error;
      }
      const usage = Object.entries(taken.containers).map(([name, pod]): [string, UnitUsage] => [
        name,
        {
          status: pod.status,
          error: pod.error ?? null,
          service: pod.owner ?? name,
          project: namespace,
          memory_usage: pod.memory_usage,
          memory_limit: pod.memory_limit,
          memory_percent: pod.memory_percent,
          cpu_percent: pod.cpu_percent,
        },
      ]);
      return { raw: taken, units: Object.fromEntries(usage) };
    },

    async collectLogs(units, { dir, since, signal }) {
      const results = await collectPodLogs({
        client,
        sources: podLogSources(
          namespace,
          units.map((unit) => unit.pod),
        ),
        dir,
        since,
        signal,
      });
      return results.map((result) => ({
        name: `${result.pod}/${result.container}`,
        status: result.status,
        error: result.error,
        service: result.owner ?? result.pod,
        project: namespace,
        file: result.written ? result.file : null,
        bytes: result.bytes,
      }));
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
