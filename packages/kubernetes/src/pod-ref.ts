/** What the user points at: one pod, a Deployment (one Ready pod of it) or a label selector (one Ready pod). */
export type PodRef = { kind: "pod"; name: string } | { kind: "deployment"; name: string } | { kind: "selector"; selector: string };

/** A pod target as the user named it: the reference, with --namespace, --container and --context. */
export interface PodTargetParams {
  ref: PodRef;
  namespace?: string | undefined;
  container?: string | undefined;
  context?: string | undefined;
}

const POD_KINDS = new Set(["pod", "pods", "po"]);
const DEPLOYMENT_KINDS = new Set(["deploy", "deployment", "deployments", "deployment.apps", "deployments.apps"]);
/** An RFC 1123 subdomain: what pod and Deployment names are. */
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * `pod/NAME` (also `pods/`, `po/`) or `deploy/NAME` (also `deployment/`, `deployments/`,
 * `deployment.apps/`), as kubectl writes them; null for anything else (a container name, a Compose
 * `project/service`). Throws RangeError for a recognised kind with an invalid name.
 */
export function parsePodTarget(target: string): PodRef | null {
  const slash = target.indexOf("/");
  if (slash <= 0) return null;
  const kind = target.slice(0, slash).toLowerCase();
  const name = target.slice(slash + 1);
  if (!POD_KINDS.has(kind) && !DEPLOYMENT_KINDS.has(kind)) return null;
  if (!NAME.test(name) || name.length > 253) {
    throw new RangeError(`expects ${kind}/NAME with a Kubernetes name (lower-case letters, digits, '-' and '.'), but got "${target}"`);
  }
  return POD_KINDS.has(kind) ? { kind: "pod", name } : { kind: "deployment", name };
}

/** Whether a --target value is a Kubernetes reference (`pod/…`, `deploy/…`). */
export function isPodTarget(target: string): boolean {
  const slash = target.indexOf("/");
  if (slash <= 0) return false;
  const kind = target.slice(0, slash).toLowerCase();
  return POD_KINDS.has(kind) || DEPLOYMENT_KINDS.has(kind);
}

/** `pod/NAME`, `deploy/NAME`, `-l SELECTOR`: how messages name a reference. */
export function describePodRef(ref: PodRef): string {
  if (ref.kind === "pod") return `pod/${ref.name}`;
  if (ref.kind === "deployment") return `deploy/${ref.name}`;
  return `-l ${ref.selector}`;
}
