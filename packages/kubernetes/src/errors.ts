import { MemrayError, type MemrayErrorOptions } from "@alpiq/memray-core";

/** Options shared by this package's errors: `detail` says why when no `cause` error does. */
export interface KubernetesErrorOptions extends MemrayErrorOptions {
  detail?: string;
}

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
    super(
      "POD_NOT_FOUND",
      `${detail ?? `No pod matches ${ref} in namespace ${namespace}`}. Pods in ${namespace}:\n${formatPodList(pods)}`,
      { hint: `pass one of them with --target pod/NAME (or deploy/NAME, -l app=NAME), or another namespace with --namespace` },
    );
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

/**
 * An exec in the pod could not be run or ended without an exit status (the pod went away, the
 * connection broke), or a command this package needs (mktemp, tar) failed. Not a workload's own exit
 * code, which exec() returns.
 */
export class KubernetesExecError extends MemrayError {
  readonly commandExitCode: number | null;
  readonly stderrTail: string;

  constructor(
    readonly location: PodLocation,
    readonly command: readonly string[],
    options: KubernetesErrorOptions & { commandExitCode?: number | null; stderrTail?: string } = {},
  ) {
    const detail = options.detail ?? why(options.cause);
    super(
      "KUBERNETES_EXEC_FAILED",
      `Could not run ${formatArgv(command)} in pod ${describePod(location)}${detail ? `: ${detail}` : ""}${indented(options.stderrTail)}`,
      { cause: options.cause, hint: options.hint ?? `check the pod is still running (kubectl get pod -n ${location.namespace} ${location.pod})` },
    );
    this.commandExitCode = options.commandExitCode ?? null;
    this.stderrTail = options.stderrTail ?? "";
  }
}

/** Copying files into or out of the pod (tar over exec) failed. */
export class PodCopyError extends MemrayError {
  constructor(
    readonly direction: "in" | "out",
    readonly location: PodLocation,
    readonly source: string,
    readonly destination: string,
    options: KubernetesErrorOptions = {},
  ) {
    const detail = options.detail ?? why(options.cause);
    const pod = describePod(location);
    const what = direction === "in" ? `Could not copy ${source} into ${pod}:${destination}` : `Could not copy ${pod}:${source} to ${destination}`;
    super(direction === "in" ? "COPY_IN_FAILED" : "COPY_OUT_FAILED", `${what}${detail ? `: ${detail}` : ""}`, { cause: options.cause, hint: options.hint });
  }
}

/**
 * A port forward through the API failed: the host port could not be opened (`stage: "listen"`, thrown),
 * or one connection could not reach the pod's port (`stage: "connect"`, reported through onError).
 */
export class PodPortForwardError extends MemrayError {
  constructor(
    readonly stage: "listen" | "connect",
    readonly hostPort: number,
    readonly podPort: number,
    readonly location: PodLocation,
    options: KubernetesErrorOptions = {},
  ) {
    const detail = options.detail ?? why(options.cause);
    const pod = describePod(location);
    super(
      "PORT_FORWARD_FAILED",
      stage === "listen"
        ? `Cannot listen on 127.0.0.1:${hostPort} to forward port ${podPort} of pod ${pod}${detail ? ` (${detail})` : ""}`
        : `A connection to 127.0.0.1:${hostPort} could not be forwarded to port ${podPort} of pod ${pod}${detail ? `: ${detail}` : ""}`,
      {
        cause: options.cause,
        hint: options.hint ?? (stage === "connect" ? `check the service listens on port ${podPort} in the pod (or pass --port N)` : undefined),
      },
    );
  }
}

/** `default/forecast-5d5c964fb4-xnnct` (`…/forecast-…[wiremock]` when a container is named). */
export function describePod(location: PodLocation): string {
  return `${location.namespace}/${location.pod}${location.container ? ` (container ${location.container})` : ""}`;
}

/** argv for messages: long arguments (inline scripts) are shortened. */
export function formatArgv(argv: readonly string[]): string {
  return JSON.stringify(argv.map((arg) => (arg.length > 80 ? `${arg.slice(0, 60).replace(/\s+/g, " ")}…` : arg)));
}

/** The first line of a cause's message, or "". */
export function why(cause: unknown): string {
  return cause instanceof Error ? (cause.message.trim().split("\n")[0] ?? "") : "";
}

function indented(text: string | undefined): string {
  if (!text) return "";
  return `\n${text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n")}`;
}
