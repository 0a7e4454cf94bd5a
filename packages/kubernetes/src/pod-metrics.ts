import type { V1Pod } from "@kubernetes/client-node";
import { ApiStatusError, type KubeClient } from "./kube-client.js";
import { ownerOf } from "./resolve-pod.js";

/** One item of GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods (what `kubectl top pod` reads). */
export interface PodMetricsItem {
  metadata: { name: string; namespace?: string };
  timestamp?: string;
  window?: string;
  containers: { name: string; usage: { cpu?: string; memory?: string } }[];
}

/** One pod's usage in a snapshot (bytes, millicores; percent of one CPU like `docker stats`). */
export interface PodUsage {
  status: "ok" | "failed";
  error?: string;
  namespace: string;
  owner: string | null;
  /** When the metrics pipeline sampled it, and over which window (`30s`). */
  timestamp: string | null;
  window: string | null;
  memory_usage: number | null;
  /** Σ of the containers' memory limits, when every container has one. */
  memory_limit: number | null;
  memory_percent: number | null;
  cpu_millicores: number | null;
  cpu_percent: number | null;
  containers: Record<string, { memory_usage: number | null; cpu_millicores: number | null }>;
}

/** `container-stats-before.json` / `-after.json` of a pod run: the same files as a container run's. */
export interface PodMetricsSnapshot {
  phase: "before" | "after";
  taken_at: string;
  source: "metrics.k8s.io";
  namespace: string;
  /** Pod name → usage. */
  containers: Record<string, PodUsage>;
}

/** The metrics API is not served (no metrics-server): pod usage is skipped, not failed. */
export class MetricsUnavailableError extends Error {
  constructor(readonly detail: string) {
    super(`the metrics API (metrics.k8s.io) is not served by this cluster (${detail}): install metrics-server to get pod memory and CPU before/after`);
    this.name = "MetricsUnavailableError";
  }
}

/**
 * `kubectl top pod` of the namespace's pods, once: memory (working set) and CPU per pod and container,
 * with the memory limit from the pod spec. Throws MetricsUnavailableError when the metrics API is not
 * served (404/503), the API's typed errors otherwise (403 names the permission).
 */
export async function snapshotPodMetrics(
  client: Pick<KubeClient, "getJson">,
  namespace: string,
  pods: readonly V1Pod[],
  phase: "before" | "after",
  options: { signal?: AbortSignal; now?: () => Date } = {},
): Promise<PodMetricsSnapshot> {
  let items: PodMetricsItem[];
  try {
    items =
      (await client.getJson<{ items?: PodMetricsItem[] }>(`/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods`, options.signal))
        .items ?? [];
  } catch (error) {
    if (error instanceof ApiStatusError && (error.statusCode === 404 || error.statusCode === 503)) {
      throw new MetricsUnavailableError(error.statusCode === 404 ? "404: the API group is not registered" : "503: the metrics service does not answer");
    }
    throw error;
  }
  const specs = new Map(pods.map((pod) => [pod.metadata?.name ?? "", pod]));
  const containers: Record<string, PodUsage> = {};
  for (const pod of pods) {
    const name = pod.metadata?.name ?? "";
    const item = items.find((candidate) => candidate.metadata.name === name);
    const limit = memoryLimit(pod);
    if (!item) {
      containers[name] = {
        ...empty(namespace, pod),
        memory_limit: limit,
        status: "failed",
        error: "no metrics for this pod yet (metrics-server samples every 15-60 s)",
      };
      continue;
    }
    containers[name] = usageOf(item, namespace, specs.get(name), limit);
  }
  return { phase, taken_at: (options.now?.() ?? new Date()).toISOString(), source: "metrics.k8s.io", namespace, containers };
}

function empty(namespace: string, pod: V1Pod): PodUsage {
  return {
    status: "ok",
    namespace,
    owner: ownerOf(pod)?.name ?? null,
    timestamp: null,
    window: null,
    memory_usage: null,
    memory_limit: null,
    memory_percent: null,
    cpu_millicores: null,
    cpu_percent: null,
    containers: {},
  };
}

/** One metrics item as usage numbers. */
export function usageOf(item: PodMetricsItem, namespace: string, pod: V1Pod | undefined, limit: number | null): PodUsage {
  const perContainer = Object.fromEntries(
    item.containers.map((container) => [
      container.name,
      { memory_usage: parseQuantity(container.usage.memory), cpu_millicores: parseCpuMillicores(container.usage.cpu) },
    ]),
  );
  const values = Object.values(perContainer);
  const memory = values.every((value) => value.memory_usage !== null) ? values.reduce((sum, value) => sum + value.memory_usage!, 0) : null;
  const cpu = values.every((value) => value.cpu_millicores !== null)
    ? Math.round(values.reduce((sum, value) => sum + value.cpu_millicores!, 0) * 1e3) / 1e3
    : null;
  return {
    status: "ok",
    namespace,
    owner: pod ? (ownerOf(pod)?.name ?? null) : null,
    timestamp: item.timestamp ?? null,
    window: item.window ?? null,
    memory_usage: memory,
    memory_limit: limit,
    memory_percent: memory !== null && limit ? Math.round((memory / limit) * 10000) / 100 : null,
    cpu_millicores: cpu,
    cpu_percent: cpu !== null ? Math.round(cpu * 10) / 100 : null,
    containers: perContainer,
  };
}

function memoryLimit(pod: V1Pod): number | null {
  const limits = (pod.spec?.containers ?? []).map((container) => parseQuantity(container.resources?.limits?.["memory"]));
  return limits.length > 0 && limits.every((limit) => limit !== null) ? limits.reduce((sum, limit) => sum + limit!, 0) : null;
}

const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A Kubernetes quantity (`12345Ki`, `1.5Gi`, `128974848`, `129M`, `1e3`) as a number; null when absent or malformed. */
export function parseQuantity(value: string | undefined): number | null {
  if (!value) return null;
  const match = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(value.trim());
  if (!match) return null;
  return Math.round(Number(match[1]) * SUFFIX[match[2] ?? ""]! * 1e6) / 1e6;
}

/** A CPU quantity (`250m`, `1234567n`, `2`) as millicores. */
export function parseCpuMillicores(value: string | undefined): number | null {
  const cores = parseQuantity(value);
  return cores === null ? null : Math.round(cores * 1e6) / 1e3;
}
