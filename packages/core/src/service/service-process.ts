import path from "node:path";
import createDebug from "debug";
import { AppNotFoundError, PortNotDetectableError, PythonNotFoundError } from "../errors.js";
import type { Target } from "../target/target.js";
import { parseServiceCommand, type ServiceCommand } from "./service-command.js";
import { chooseServicePort, type ServicePortSource } from "./service-port.js";

const debug = createDebug("memray:service");

/**
 * A service's main process as any runtime describes it (a container's `docker inspect`, a pod's
 * container spec and pid 1): how to run commands where it runs, its command line, environment and
 * working directory, and what may say its port. Detection of the interpreter, the app and the port
 * works on this alone, the same for every runtime.
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
  /** Names that may say which preset it is: container and Compose service, Deployment, pod, labels. */
  names: readonly (string | null | undefined)[];
  /** The ports it declares, as "5000/tcp" keys (exposed and published ports, containerPorts). */
  portKeys: readonly string[];
}

/** Interpreters tried, in order, after the one the service's own command uses. */
export const PYTHON_CANDIDATES = ["/opt/venv/bin/python", "python3", "python"] as const;

const PYTHON_NAME = /^python(\d+(\.\d+)*)?$/;

export interface DetectedApp {
  /** `module:attr` or `module:factory()`. */
  app: string;
  /** Directory to import the app from (the working directory, or where the command changes to). */
  appDir: string;
  server: ServiceCommand["server"];
  /** WSGI or ASGI, as the server's command says (the harness tells it again from the app object). */
  interface: ServiceCommand["interface"];
  /** Port on the server's command line (or the server's default). */
  port: number | null;
  /** Where the command was read: the runtime's configuration, or a running process. */
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

/**
 * The Python interpreter to profile with: the one the service's command runs under (the shebang of
 * waitress-serve/gunicorn/flask, or `python -m ...`), else /opt/venv/bin/python, python3, python.
 * Returns its sys.executable. Throws PythonNotFoundError (exit 3) when none runs Python 3.
 */
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
 * The WSGI or ASGI app the service serves, from its command, else from its running processes (an entrypoint
 * script that execs gunicorn). Throws AppNotFoundError (exit 2) when none is found.
 */
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

function toDetectedApp(service: ServiceProcess, parsed: ServiceCommand, source: DetectedApp["source"], command: readonly string[]): DetectedApp {
  const workingDir = service.workingDir || "/";
  const appDir = parsed.chdir ? path.posix.resolve(workingDir, parsed.chdir) : workingDir;
  return { app: parsed.app, appDir, server: parsed.server, interface: parsed.interface, port: parsed.port, source, command };
}

/** Command lines of the processes where the service runs, pid 1 first (from /proc, no shell). */
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
    if (result?.exitCode !== 0) continue;
    const argv = result.stdout.replace(/\0$/, "").split("\0");
    if (argv[0] && argv[0] !== "cat" && argv[0] !== "ls") lines.push(argv);
  }
  return lines;
}

/**
 * The port the service listens on, if it can be told: `portOverride`, the preset by name (forecast →
 * 5000, optimization → 6000), the single declared TCP port, or the port on the server's command line.
 * Null when nothing decides (never throws).
 */
export function detectServicePort(
  service: Pick<ServiceProcess, "name" | "names" | "portKeys" | "command" | "env">,
  options: ServicePortOptions = {},
): DetectedServicePort | null {
  return choosePort(service, options).found;
}

/** detectServicePort, for callers that cannot go on without a port: throws PortNotDetectableError (exit 2). */
export function requireServicePort(
  service: Pick<ServiceProcess, "name" | "names" | "portKeys" | "command" | "env">,
  options: ServicePortOptions = {},
): DetectedServicePort {
  const { found, candidates } = choosePort(service, options);
  if (!found) throw new PortNotDetectableError(service.name, candidates);
  return found;
}

function choosePort(
  service: Pick<ServiceProcess, "names" | "portKeys" | "command" | "env">,
  options: ServicePortOptions,
): { found: DetectedServicePort | null; candidates: number[] } {
  const choice = chooseServicePort({
    portOverride: options.portOverride,
    names: service.names,
    portKeys: service.portKeys,
    commandPort: parseServiceCommand(service.command, service.env)?.port,
  });
  if (choice.port === null) return { found: null, candidates: "candidates" in choice ? choice.candidates : [] };
  return { found: { port: choice.port, source: choice.source }, candidates: [] };
}
