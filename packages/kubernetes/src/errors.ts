import { MemrayError, type MemrayErrorOptions, type TargetPlace } from "@alpiq/memray-core";

/** Where a pod is, for messages: `default/forecast-5d5c964fb4-xnnct`. */
export interface PodLocation {
  namespace: string;
  pod: string;
  container?: string | undefined;
}

/** One line per pod for "these are there" lists in error messages. */
export interface PodSummaryLine {
  name: string;
  phase: string;
  ready: boolean;
  /** Why it is not ready (CrashLoopBackOff, ContainersNotReady, Terminating, ...). */
  reason?: string | undefined;
}

export function formatPodList(pods: readonly PodSummaryLine[]): string {
  if (pods.length === 0) return "  (no pods)";
  return pods.map((pod) => `  ${pod.name}  ${pod.phase}${pod.ready ? "  Ready" : "  not Ready"}${pod.reason ? ` (${pod.reason})` : ""}`).join("\n");
}

/**
 * No cluster can be reached: no kubeconfig (KUBECONFIG unset or naming no file, no ~/.kube/config, not
 * in a cluster), or its API server does not answer.
 */
export class KubernetesUnavailableError extends MemrayError {
  constructor(
    readonly server: string | null,
    readonly context: string | null,
    message: string,
    options: MemrayErrorOptions = {},
  ) {
    super("KUBERNETES_UNAVAILABLE", message, options);
  }
}

/**
 * The API server refused a request for lack of a permission (HTTP 403): names the verb and resource
 * (`create pods/exec`), the namespace and, when the server says it, the user.
 */
export class KubernetesForbiddenError extends MemrayError {
  constructor(
    readonly verb: string,
    readonly resource: string,
    readonly namespace: string | null,
    readonly user: string | null,
    serverMessage: string,
    options: MemrayErrorOptions = {},
  ) {
    super(
      "KUBERNETES_FORBIDDEN",
      `Kubernetes refused to ${verb} ${resource}${namespace ? ` in namespace ${namespace}` : ""}${user ? ` for ${user}` : ""}: ` +
        `the permission "${verb}" on "${resource}" is missing (${serverMessage})`,
      { cause: options.cause, hint: options.hint ?? forbiddenHint(verb, resource, namespace) },
    );
  }
}

/**
 * What to grant. exec and port-forward here are WebSocket upgrades (a GET, checked as `get`); kubectl's
 * SPDY POST needs `create`, which newer API servers also check for WebSockets: both are named for those
 * subresources.
 */
function forbiddenHint(verb: string, resource: string, namespace: string | null): string {
  const [name, group = ""] = resource.split(/\.(.*)/s);
  const streaming = /^pods\/(exec|portforward|attach)$/.test(name ?? "");
  const verbs = streaming ? ["get", "create"] : [verb];
  return (
    `grant it with a Role rule {apiGroups: ["${group}"], resources: ["${name}"], verbs: [${verbs.map((v) => `"${v}"`).join(", ")}]} bound to that user, ` +
    `or use a kubeconfig / --context that has it (check: kubectl auth can-i ${verb} ${resource}${namespace ? ` -n ${namespace}` : ""})`
  );
}

/** The pod, deployment or label selector the user named matches nothing. */
export class PodNotFoundError extends MemrayError {
  constructor(
    /** What was asked for: `pod/NAME`, `deploy/NAME`, `-l SELECTOR`. */
    readonly ref: string,
    readonly namespace: string,
    readonly pods: readonly PodSummaryLine[],
    detail?: string,
  ) {
    super("POD_NOT_FOUND", `${detail ?? `No pod matches ${ref} in namespace ${namespace}`}. Pods in ${namespace}:\n${formatPodList(pods)}`, {
      hint: `pass one of them with --target pod/NAME (or deploy/NAME, -l app=NAME), or another namespace with --namespace`,
    });
  }
}

/** The pod (or every pod of the deployment/selector) exists but is not Running and Ready. */
export class PodNotReadyError extends MemrayError {
  constructor(
    readonly ref: string,
    readonly namespace: string,
    readonly pods: readonly PodSummaryLine[],
  ) {
    super("POD_NOT_READY", `No Ready pod for ${ref} in namespace ${namespace}:\n${formatPodList(pods)}`, {
      hint: `wait until it is Ready (kubectl get pods -n ${namespace} -w), or see why (kubectl describe pod -n ${namespace} NAME)`,
    });
  }
}

/** Where a pod's container is, for the target-neutral errors (core's TargetExecError, TargetCopyError, PortForwardError). */
export function podPlace(location: PodLocation): TargetPlace {
  return {
    kind: "pod",
    name: describePod(location),
    execPrefix: ["kubectl", "exec", "-n", location.namespace, location.pod, ...(location.container ? ["-c", location.container] : []), "--"],
    checkCommand: `kubectl get pod -n ${location.namespace} ${location.pod}`,
  };
}

/** `default/forecast-5d5c964fb4-xnnct` (`… (container wiremock)` when a container is named). */
export function describePod(location: PodLocation): string {
  return `${location.namespace}/${location.pod}${location.container ? ` (container ${location.container})` : ""}`;
}
