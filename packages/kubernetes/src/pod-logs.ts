import type { V1Pod } from "@kubernetes/client-node";
import { describeSignalError, mapConcurrently, writeLogFile } from "@alpiq/memray-core";
import createDebug from "debug";
import type { KubeClient } from "./kube-client.js";
import { DEFAULT_CONTAINER_ANNOTATION, ownerOf } from "./resolve-pod.js";

const debug = createDebug("memray:kubernetes:logs");

/** One container of one pod whose log is collected, and the file it goes to. */
export interface PodLogSource {
  namespace: string;
  pod: string;
  container: string;
  /** The Deployment (or other controller) of the pod; null for a bare pod. */
  owner: string | null;
  file: string;
}

export interface PodLogResult extends PodLogSource {
  status: "ok" | "failed";
  /** The file written (kept, possibly partial, when the stream broke off); null when nothing was. */
  file: string;
  written: boolean;
  bytes: number;
  error: string | null;
}

export interface PodLogsOptions {
  client: Pick<KubeClient, "getStream">;
  sources: readonly PodLogSource[];
  /** The run directory. */
  dir: string;
  /** Start of the window (`kubectl logs --since-time`). */
  since: Date;
  signal?: AbortSignal;
  /** Containers read at once (default 8). */
  concurrency?: number;
}

const unsafe = /[^A-Za-z0-9._-]+/g;

/**
 * The log files of a namespace's pods, named like the container signals' `logs-<project>-<service>.txt`
 * with the namespace as the project and the Deployment (or the bare pod) as the service:
 * `logs-<namespace>-<deployment>.txt`. A second replica adds `-2` (by pod name order), a pod's other
 * containers add `-<container>` (its default container has none). Pods that never started are left out.
 */
export function podLogSources(namespace: string, pods: readonly V1Pod[]): PodLogSource[] {
  const started = pods.filter((pod) =>
    (pod.status?.containerStatuses ?? []).some((status) => status.state?.running || status.state?.terminated || status.lastState?.terminated),
  );
  const byOwner = new Map<string, V1Pod[]>();
  for (const pod of [...started].sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""))) {
    const base = ownerOf(pod)?.name ?? pod.metadata?.name ?? "pod";
    byOwner.set(base, [...(byOwner.get(base) ?? []), pod]);
  }
  const sources: PodLogSource[] = [];
  const used = new Set<string>();
  for (const [base, replicas] of byOwner) {
    replicas.forEach((pod, index) => {
      const names = (pod.spec?.containers ?? []).map((container) => container.name);
      const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
      const main = annotated && names.includes(annotated) ? annotated : names[0];
      for (const container of names) {
        let file = `logs-${`${namespace}-${base}${index > 0 ? `-${index + 1}` : ""}${container === main ? "" : `-${container}`}`.replace(unsafe, "_")}.txt`;
        if (used.has(file)) file = file.replace(/\.txt$/, `-${(pod.metadata?.uid ?? "").slice(0, 8)}.txt`);
        used.add(file);
        sources.push({ namespace, pod: pod.metadata?.name ?? "", container, owner: ownerOf(pod)?.name ?? null, file });
      }
    });
  }
  return sources;
}

/**
 * `kubectl logs --since-time S --timestamps` of each source into its file in `dir`, streamed with
 * backpressure (memory stays flat whatever the log size). A pod that is gone or whose stream fails is
 * marked failed; the others are unaffected.
 */
export async function collectPodLogs(options: PodLogsOptions): Promise<PodLogResult[]> {
  return mapConcurrently(options.sources, options.concurrency ?? 8, (source) => collectOne(options, source));
}

async function collectOne(options: PodLogsOptions, source: PodLogSource): Promise<PodLogResult> {
  const result: PodLogResult = { ...source, status: "failed", written: false, bytes: 0, error: null };
  const { signal } = options;
  const query = new URLSearchParams({ container: source.container, timestamps: "true", sinceTime: options.since.toISOString().replace(/\.\d+Z$/, "Z") });
  const apiPath = `/api/v1/namespaces/${encodeURIComponent(source.namespace)}/pods/${encodeURIComponent(source.pod)}/log?${query}`;
  let response;
  try {
    response = await options.client.getStream(apiPath, signal);
  } catch (error) {
    result.error = `${source.pod}/${source.container}: ${(error as { statusCode?: number }).statusCode === 404 ? "no such pod (deleted during the run?)" : describeSignalError(error)}`;
    debug("%s", result.error);
    return result;
  }
  const written = await writeLogFile([response], options.dir, source.file, { label: `${source.pod}/${source.container}`, signal });
  Object.assign(result, { status: written.status, written: written.file !== null, bytes: written.bytes, error: written.error });
  debug("%s/%s: %s, %d bytes → %s", source.pod, source.container, result.status, result.bytes, source.file);
  return result;
}
