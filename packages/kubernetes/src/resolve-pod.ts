import type { V1LabelSelector, V1Pod } from "@kubernetes/client-node";
import { InvalidOptionError } from "@alpiq/memray-core";
import createDebug from "debug";
import { PodNotFoundError, PodNotReadyError, type PodSummaryLine } from "./errors.js";
import { ApiStatusError, toApiError, type KubeClient } from "./kube-client.js";
import { describePodRef, type PodRef } from "./pod-ref.js";

const debug = createDebug("memray:kubernetes");

/** kubectl's annotation naming the container `kubectl exec/logs` use by default. */
export const DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";

export interface ResolvePodOptions {
  client: KubeClient;
  ref: PodRef;
  /** Default: the client's namespace (--namespace, the context's, "default"). */
  namespace?: string | undefined;
  /** --container; default: the pod's kubectl.kubernetes.io/default-container annotation, else its first container. */
  container?: string | undefined;
}

export interface ResolvedPod {
  pod: V1Pod;
  namespace: string;
  /** The container commands run in. */
  container: string;
  /** The Deployment (or other controller) the pod belongs to, when it has one. */
  owner: { kind: string; name: string } | null;
  /** Ready pods the reference also matched (another replica could have been chosen). */
  alternatives: string[];
}

/**
 * The one Running and Ready pod a reference means: `pod/NAME` itself, or for `deploy/NAME` and a label
 * selector the longest-running Ready pod (not being deleted), like `kubectl exec deploy/NAME` picks one.
 * Throws PodNotFoundError (nothing matches; lists the namespace's pods), PodNotReadyError (matches, none
 * Ready), KubernetesForbiddenError / KubernetesUnavailableError from the API, InvalidOptionError for a
 * --container the pod does not have.
 */
export async function resolvePod(options: ResolvePodOptions): Promise<ResolvedPod> {
  const { client, ref } = options;
  const namespace = options.namespace || client.namespace;
  const call = (verb: string, resource: string) => ({ server: client.server, context: client.context, verb, resource, namespace });
  const listPods = async (labelSelector?: string): Promise<V1Pod[]> => {
    try {
      return (await client.core.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}) })).items;
    } catch (error) {
      throw toApiError(error, call("list", "pods"));
    }
  };
  const notFound = async (detail?: string) => new PodNotFoundError(describePodRef(ref), namespace, (await listPods().catch(() => [])).map(podSummary), detail);

  let candidates: V1Pod[];
  if (ref.kind === "pod") {
    try {
      candidates = [await client.core.readNamespacedPod({ name: ref.name, namespace })];
    } catch (error) {
      const typed = toApiError(error, call("get", "pods"));
      if (typed instanceof ApiStatusError && typed.statusCode === 404) throw await notFound(`No pod ${ref.name} in namespace ${namespace}`);
      throw typed;
    }
  } else if (ref.kind === "deployment") {
    let selector: string;
    try {
      const deployment = await client.apps.readNamespacedDeployment({ name: ref.name, namespace });
      selector = labelSelectorString(deployment.spec?.selector);
    } catch (error) {
      const typed = toApiError(error, call("get", "deployments.apps"));
      if (typed instanceof ApiStatusError && typed.statusCode === 404) throw await notFound(`No deployment ${ref.name} in namespace ${namespace}`);
      throw typed;
    }
    candidates = await listPods(selector);
  } else {
    candidates = await listPods(ref.selector);
  }
  if (candidates.length === 0) throw await notFound();
  const ready = candidates.filter(isReady).sort(byAge);
  const chosen = ready[0];
  if (!chosen) throw new PodNotReadyError(describePodRef(ref), namespace, candidates.map(podSummary));
  const container = chooseContainer(chosen, options.container);
  const owner = ownerOf(chosen);
  debug("%s → %s/%s [%s]", describePodRef(ref), namespace, chosen.metadata?.name, container);
  return { pod: chosen, namespace, container, owner, alternatives: ready.slice(1).map((pod) => pod.metadata?.name ?? "") };
}

/** Running, Ready, and not being deleted. */
export function isReady(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (pod.status?.phase !== "Running") return false;
  return (pod.status.conditions ?? []).some((condition) => condition.type === "Ready" && condition.status === "True");
}

/** Oldest first (it has served longest), then by name: the same pod every time. */
function byAge(a: V1Pod, b: V1Pod): number {
  const time = (pod: V1Pod) => new Date(pod.metadata?.creationTimestamp ?? 0).getTime();
  return time(a) - time(b) || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

function chooseContainer(pod: V1Pod, wanted: string | undefined): string {
  const names = (pod.spec?.containers ?? []).map((container) => container.name);
  if (wanted) {
    if (!names.includes(wanted)) {
      throw new InvalidOptionError(`--container: expected a container of pod ${pod.metadata?.name} (${names.join(", ")}), but got "${wanted}"`);
    }
    return wanted;
  }
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && names.includes(annotated)) return annotated;
  return names[0]!;
}

/**
 * The controller a pod belongs to, as people name it: a ReplicaSet's pod is its Deployment's (the
 * ReplicaSet name minus the pod-template-hash); StatefulSet, DaemonSet and Job pods name their owner.
 */
export function ownerOf(pod: V1Pod): { kind: string; name: string } | null {
  const owner = pod.metadata?.ownerReferences?.find((reference) => reference.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (!owner) return null;
  if (owner.kind === "ReplicaSet") {
    const hash = pod.metadata?.labels?.["pod-template-hash"];
    if (hash && owner.name.endsWith(`-${hash}`)) return { kind: "Deployment", name: owner.name.slice(0, -hash.length - 1) };
  }
  return { kind: owner.kind, name: owner.name };
}

/** One line of a pod for error messages: phase, Ready, and why not. */
export function podSummary(pod: V1Pod): PodSummaryLine {
  const ready = isReady(pod);
  let reason: string | undefined;
  if (pod.metadata?.deletionTimestamp) reason = "Terminating";
  else {
    const waiting = (pod.status?.containerStatuses ?? []).find((status) => status.state?.waiting?.reason)?.state?.waiting?.reason;
    const notReady = (pod.status?.conditions ?? []).find((condition) => condition.type === "Ready" && condition.status !== "True");
    reason = waiting ?? (ready ? undefined : (notReady?.reason ?? undefined));
  }
  return { name: pod.metadata?.name ?? "?", phase: pod.status?.phase ?? "Unknown", ready, reason };
}

/** A LabelSelector (matchLabels + matchExpressions) as the `labelSelector` query string. */
export function labelSelectorString(selector: V1LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expression of selector?.matchExpressions ?? []) {
    const values = (expression.values ?? []).join(",");
    switch (expression.operator) {
      case "In":
        parts.push(`${expression.key} in (${values})`);
        break;
      case "NotIn":
        parts.push(`${expression.key} notin (${values})`);
        break;
      case "Exists":
        parts.push(expression.key);
        break;
      case "DoesNotExist":
        parts.push(`!${expression.key}`);
        break;
    }
  }
  return parts.join(",");
}
