import { chooseServicePort, detectServiceApp, findServicePython, parseServiceCommand, type DetectedApp, type DetectedServicePort, type ServicePortOptions, type ServiceProcess } from "@alpiq/memray-docker";
import type { KubernetesTarget } from "./kubernetes-target.js";

/** What inspection reads of a target: the pod, its chosen container and exec. A KubernetesTarget is one. */
export type InspectedPod = Pick<KubernetesTarget, "name" | "pod" | "container" | "owner" | "exec">;

/**
 * The pod container's main process as the docker package's detection reads it: the container's
 * `command` + `args` (or, when the pod leaves them to the image, pid 1's command line), its environment
 * (pid 1's, which holds the image's ENV, overlaid with the spec's `env` values) and `workingDir` (else
 * pid 1's working directory).
 */
export async function podServiceProcess(target: InspectedPod): Promise<ServiceProcess> {
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
  return { name: target.name, exec: (argv, options) => target.exec(argv, options), command, env, workingDir };
}

/**
 * The interpreter the pod's service runs under (the shebang of waitress-serve/gunicorn/flask, or
 * `python -m ...`), else /opt/venv/bin/python, python3, python: the docker package's findPython rule on
 * the pod's container. Throws core's PythonNotFoundError (exit 3).
 */
export async function findPodPython(target: InspectedPod, service?: ServiceProcess): Promise<string> {
  return findServicePython(service ?? (await podServiceProcess(target)));
}

/** The WSGI app the pod's container serves (docker's detectApp rule). Throws AppNotFoundError (exit 2). */
export async function detectPodApp(target: InspectedPod, service?: ServiceProcess): Promise<DetectedApp> {
  return detectServiceApp(service ?? (await podServiceProcess(target)));
}

/**
 * The port the pod's service listens on, if it can be told (never throws): `portOverride`, the preset
 * by name (the Deployment, pod, container or `app` label says forecast → 5000, optimization → 6000),
 * the container's single TCP `containerPort`, or the port on the server's command line.
 */
export function detectPodServicePort(target: Pick<InspectedPod, "name" | "pod" | "container" | "owner">, options: ServicePortOptions & { service?: ServiceProcess } = {}): DetectedServicePort | null {
  const spec = target.pod.spec?.containers.find((container) => container.name === target.container);
  const labels = target.pod.metadata?.labels ?? {};
  const command = options.service?.command ?? [...(spec?.command ?? []), ...(spec?.args ?? [])];
  const env = options.service?.env ?? Object.fromEntries((spec?.env ?? []).flatMap((variable) => (variable.value !== undefined ? [[variable.name, variable.value]] : [])));
  const choice = chooseServicePort({
    portOverride: options.portOverride,
    names: [target.owner?.name, target.pod.metadata?.name, target.container, labels["app"], labels["app.kubernetes.io/name"]],
    portKeys: (spec?.ports ?? []).map((port) => `${port.containerPort}/${(port.protocol ?? "TCP").toLowerCase()}`),
    commandPort: parseServiceCommand(command, env)?.port,
  });
  return choice.port === null ? null : { port: choice.port, source: choice.source };
}

/** A NUL-separated /proc file of the container (cmdline, environ) as strings; [] when unreadable. */
async function procStrings(target: Pick<InspectedPod, "exec">, file: string): Promise<string[]> {
  const result = await target.exec(["cat", file]).catch(() => null);
  if (!result || result.exitCode !== 0) return [];
  return result.stdout.replace(/\0$/, "").split("\0").filter(Boolean);
}
