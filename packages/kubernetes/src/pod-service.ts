import type { ServiceProcess } from "@alpiq/memray-core";
import type { KubernetesTarget } from "./kubernetes-target.js";

/** What reading a pod's service needs of a target: the pod, its chosen container, its owner and exec. A KubernetesTarget is one. */
export type InspectedPod = Pick<KubernetesTarget, "name" | "pod" | "container" | "owner" | "exec">;

/**
 * The pod container's main process as core's service detection reads it: the container's `command` +
 * `args` (or, when the pod leaves them to the image, pid 1's command line), its environment (pid 1's,
 * which holds the image's ENV, overlaid with the spec's `env` values), `workingDir` (else pid 1's), the
 * names that may say its preset (the Deployment, pod, container, `app` labels) and its containerPorts.
 */
export async function podService(target: InspectedPod): Promise<ServiceProcess> {
  const spec = target.pod.spec?.containers.find((container) => container.name === target.container);
  let command = [...(spec?.command ?? []), ...(spec?.args ?? [])];
  if (command.length === 0) command = await procStrings(target, "/proc/1/cmdline");
  const env: Record<string, string> = {};
  for (const entry of await procStrings(target, "/proc/1/environ")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  for (const variable of spec?.env ?? []) if (variable.value !== undefined) env[variable.name] = variable.value;
  let workingDir = spec?.workingDir ?? "";
  if (!workingDir) {
    const cwd = await target.exec(["readlink", "/proc/1/cwd"]).catch(() => null);
    workingDir = cwd?.exitCode === 0 && cwd.stdout.trim().startsWith("/") ? cwd.stdout.trim() : "/";
  }
  const labels = target.pod.metadata?.labels ?? {};
  return {
    name: target.name,
    exec: (argv, options) => target.exec(argv, options),
    command,
    env,
    workingDir,
    names: [target.owner?.name, target.pod.metadata?.name, target.container, labels["app"], labels["app.kubernetes.io/name"]],
    portKeys: (spec?.ports ?? []).map((port) => `${port.containerPort}/${(port.protocol ?? "TCP").toLowerCase()}`),
  };
}

/** A NUL-separated /proc file of the container (cmdline, environ) as strings; [] when unreadable. */
async function procStrings(target: Pick<InspectedPod, "exec">, file: string): Promise<string[]> {
  const result = await target.exec(["cat", file]).catch(() => null);
  if (result?.exitCode !== 0) return [];
  return result.stdout.replace(/\0$/, "").split("\0").filter(Boolean);
}
