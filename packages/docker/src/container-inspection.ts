import path from "node:path";
import { PythonNotFoundError, type Target } from "@alpiq/memray-core";
import createDebug from "debug";
import type Docker from "dockerode";
import type { DockerTarget } from "./docker-target.js";
import { AppNotFoundError, PortNotDetectableError } from "./errors.js";
import { COMPOSE_SERVICE_LABEL } from "./resolve-container.js";
import { envListToRecord, parseServiceCommand, type ServiceCommand } from "./service-command.js";
import { chooseServicePort, type ServicePortSource } from "./service-port.js";

const debug = createDebug("memray:docker");

/**
 * What inspection reads: the container's `docker inspect` and exec. A DockerTarget is one; tests
 * pass a small fake.
 */
export type InspectedContainer = Pick<DockerTarget, "name" | "info" | "exec">;

/** Interpreters tried, in order, after the one the container's own command uses. */
export const PYTHON_CANDIDATES = ["/opt/venv/bin/python", "python3", "python"] as const;

const PYTHON_NAME = /^python(\d+(\.\d+)*)?$/;

export interface DetectedApp {
  /** `module:attr` or `module:factory()`. */
  app: string;
  /** Directory to import the app from (the container's WorkingDir, or where the command changes to). */
  appDir: string;
  server: ServiceCommand["server"];
  /** Port on the server's command line (or the server's default). */
  port: number | null;
  /** Where the command was read: the container's Entrypoint + Cmd, or a running process. */
  source: "config" | "process";
  command: readonly string[];
}

export interface DetectedServicePort {
  port: number;
  source: ServicePortSource;
}

export interface ServicePortOptions {
  /** `--port`: always wins (source "override"). */
  portOverride?: number | null | undefined;
}

/** The container's command: Entrypoint followed by Cmd. */
export function containerCommand(info: Docker.ContainerInspectInfo): string[] {
  const entrypoint = info.Config.Entrypoint;
  const ep = Array.isArray(entrypoint) ? entrypoint : entrypoint ? [entrypoint] : [];
  return [...ep, ...(info.Config.Cmd ?? [])];
}

/** The container's working directory ("/" when unset): where an app given with --app is imported from. */
export function containerWorkingDir(info: Docker.ContainerInspectInfo): string {
  return info.Config.WorkingDir || "/";
}

/**
 * A service's main process as any target describes it (a container's `docker inspect`, a pod's
 * container spec): how to run commands where it runs, its command line, its environment and working
 * directory. The interpreter and app detection below work on this; findPython/detectApp build it from
 * a container.
 */
export interface ServiceProcess {
  /** For messages. */
  name: string;
  exec: Target["exec"];
  /** Entrypoint + Cmd (a container), command + args (a pod's container); empty when unknown. */
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  /** Where the command runs ("/" when unset). */
  workingDir: string;
}

function serviceOfContainer(container: InspectedContainer): ServiceProcess {
  return {
    name: container.name,
    exec: (argv, options) => container.exec(argv, options),
    command: containerCommand(container.info),
    env: envListToRecord(container.info.Config.Env),
    workingDir: containerWorkingDir(container.info),
  };
}

/**
 * The Python interpreter to profile with: the one the container's command runs under (the shebang
 * of waitress-serve/gunicorn/flask, or `python -m ...`), else /opt/venv/bin/python, python3, python.
 * Returns its sys.executable. Throws PythonNotFoundError (exit 3) when none runs Python 3.
 */
export async function findPython(container: InspectedContainer): Promise<string> {
  return findServicePython(serviceOfContainer(container));
}

/** findPython for any target's service process (a pod's container, ...). */
export async function findServicePython(service: ServiceProcess): Promise<string> {
  const candidates = [...(await pythonsOfCommand(service)), ...PYTHON_CANDIDATES];
  const tried: string[] = [];
  for (const candidate of new Set(candidates)) {
    tried.push(candidate);
    const probe = await service.exec([candidate, "-c", "import sys; print(sys.executable or ''); print(sys.version_info[0])"]);
    const [executable, major] = probe.stdout.trim().split("\n");
    if (probe.exitCode === 0 && major === "3") {
      debug("python of %s: %s (%s)", service.name, candidate, executable);
      return executable?.startsWith("/") ? executable : candidate;
    }
  }
  throw new PythonNotFoundError(tried.join(", "), service.name);
}

/** Interpreters the service's command names: `python -m`, a python program, or a script's shebang. */
async function pythonsOfCommand(service: ServiceProcess): Promise<string[]> {
  const command = service.command;
  const parsed = parseServiceCommand(command, service.env);
  if (parsed?.interpreter) return [parsed.interpreter];
  const program = parsed?.program ?? command[0];
  if (!program) return [];
  if (PYTHON_NAME.test(path.posix.basename(program))) return [program];
  const located = await locateProgram(service, program);
  if (!located) return [];
  const found: string[] = [];
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(located.firstLine);
  if (shebang) {
    const [, interpreter, arg] = shebang;
    if (path.posix.basename(interpreter!) === "env" && arg) found.push(arg);
    else if (PYTHON_NAME.test(path.posix.basename(interpreter!))) found.push(interpreter!);
  }
  found.push(path.posix.join(path.posix.dirname(located.path), "python"));
  return found;
}

// `command -v` unless the name is a path, then the file's first line: one exec. The name is a positional
// parameter, never part of the script.
const LOCATE_PROGRAM = 'case "$1" in /*) p="$1" ;; *) p=$(command -v "$1") || exit 1 ;; esac; printf "%s\\n" "$p"; head -n 1 "$p" 2>/dev/null || true';

/** Where a program of the service is (an absolute path) and its first line (a shebang, or ""); null: not found. */
async function locateProgram(service: Pick<ServiceProcess, "exec">, name: string): Promise<{ path: string; firstLine: string } | null> {
  const result = await service.exec(["sh", "-c", LOCATE_PROGRAM, "sh", name]).catch(() => null);
  if (result?.exitCode !== 0) return null;
  const newline = result.stdout.indexOf("\n");
  const found = (newline < 0 ? result.stdout : result.stdout.slice(0, newline)).trim();
  if (!found.startsWith("/")) return null;
  return { path: found, firstLine: newline < 0 ? "" : (result.stdout.slice(newline + 1).split("\n")[0] ?? "") };
}

/**
 * The WSGI app the container serves, from its Entrypoint + Cmd, else from its running processes
 * (an entrypoint script that execs gunicorn). Throws AppNotFoundError (exit 2) when none is found.
 */
export async function detectApp(container: InspectedContainer): Promise<DetectedApp> {
  return detectServiceApp(serviceOfContainer(container));
}

/** detectApp for any target's service process (a pod's container, ...). */
export async function detectServiceApp(service: ServiceProcess): Promise<DetectedApp> {
  const { command, env } = service;
  const fromConfig = parseServiceCommand(command, env);
  if (fromConfig) return toDetectedApp(service, fromConfig, "config", command);
  for (const argv of await processCommandLines(service)) {
    const parsed = parseServiceCommand(argv, env);
    if (parsed) return toDetectedApp(service, parsed, "process", argv);
  }
  throw new AppNotFoundError(service.name, command);
}

function toDetectedApp(
  service: ServiceProcess,
  parsed: ServiceCommand,
  source: DetectedApp["source"],
  command: readonly string[],
): DetectedApp {
  const workingDir = service.workingDir || "/";
  const appDir = parsed.chdir ? path.posix.resolve(workingDir, parsed.chdir) : workingDir;
  return { app: parsed.app, appDir, server: parsed.server, port: parsed.port, source, command };
}

/** Command lines of the container's processes, pid 1 first (from /proc, no shell). */
async function processCommandLines(service: Pick<ServiceProcess, "exec">): Promise<string[][]> {
  const list = await service.exec(["ls", "/proc"]).catch(() => null);
  const pids = (list?.stdout ?? "")
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .sort((a, b) => a - b)
    .slice(0, 64);
  const lines: string[][] = [];
  for (const pid of pids.length > 0 ? pids : [1]) {
    const result = await service.exec(["cat", `/proc/${pid}/cmdline`]).catch(() => null);
    if (!result || result.exitCode !== 0) continue;
    const argv = result.stdout.replace(/\0$/, "").split("\0");
    if (argv[0] && argv[0] !== "cat" && argv[0] !== "ls") lines.push(argv);
  }
  return lines;
}

/**
 * The port the service listens on inside the container, if it can be told: `portOverride`, the
 * preset by name (forecast → 5000, optimization → 6000), the single exposed/published port, or the
 * port on the server's command line. Null when nothing decides (never throws).
 */
export async function detectServicePort(container: Pick<InspectedContainer, "name" | "info">, options: ServicePortOptions = {}): Promise<DetectedServicePort | null> {
  return choosePort(container, options).found;
}

/** detectServicePort, for callers that cannot go on without a port: throws PortNotDetectableError (exit 2). */
export async function requireServicePort(container: Pick<InspectedContainer, "name" | "info">, options: ServicePortOptions = {}): Promise<DetectedServicePort> {
  const { found, candidates } = choosePort(container, options);
  if (!found) throw new PortNotDetectableError(container.name, candidates);
  return found;
}

function choosePort(
  { name, info }: Pick<InspectedContainer, "name" | "info">,
  options: ServicePortOptions,
): { found: DetectedServicePort | null; candidates: number[] } {
  const keys = new Set<string>([
    ...Object.keys(info.Config.ExposedPorts ?? {}),
    ...Object.keys(info.NetworkSettings?.Ports ?? {}),
    ...Object.keys(info.HostConfig?.PortBindings ?? {}),
  ]);
  const parsed = parseServiceCommand(containerCommand(info), envListToRecord(info.Config.Env));
  const choice = chooseServicePort({
    portOverride: options.portOverride,
    names: [name, info.Config.Labels?.[COMPOSE_SERVICE_LABEL]],
    portKeys: [...keys],
    commandPort: parsed?.port,
  });
  if (choice.port === null) return { found: null, candidates: "candidates" in choice ? choice.candidates : [] };
  return { found: { port: choice.port, source: choice.source }, candidates: [] };
}
