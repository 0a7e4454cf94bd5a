import { InvalidOptionError, isMode, MODES, type EndpointRequest, type Mode } from "@alpiq/memray-core";
import { parsePythonBool } from "./python-bool.js";

/** Raw `profile` flags as commander hands them over (strings, repeatables as arrays). */
export interface RawProfileFlags {
  mode?: string;
  target?: string;
  local?: boolean;
  script?: string;
  endpoint?: string;
  method?: string;
  body?: string;
  header?: string[];
  requests?: string;
  delay?: string;
  app?: string;
  port?: string;
  traceAllocators?: string;
  out?: string;
  name?: string;
  json?: boolean;
  python?: string;
  allowNoMemray?: boolean;
  module?: string[];
  livePort?: string;
  timeout?: string;
}

export type TargetChoice = { kind: "local" } | { kind: "docker"; container: string };

/** `profile` options after validation: the one place flags are checked. */
export interface ProfileOptions {
  mode: Mode;
  target: TargetChoice;
  python: string | undefined;
  script: string | undefined;
  scriptArgs: string[];
  endpoint: EndpointRequest;
  requests: number;
  delaySeconds: number;
  app: string | undefined;
  port: number | undefined;
  traceAllocators: boolean;
  out: string;
  name: string | undefined;
  json: boolean;
  allowNoMemray: boolean;
  modules: string[];
  livePort: number;
  timeoutSeconds: number | undefined;
}

function integer(option: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw new InvalidOptionError(`${option} expects an integer from ${min} to ${max}, received "${value}"`);
  }
  return Number(value);
}

function seconds(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0) {
    throw new InvalidOptionError(`${option} expects a number of seconds >= 0, received "${value}"`);
  }
  return parsed;
}

function header(value: string): [string, string] {
  const index = value.indexOf(":");
  if (index <= 0) throw new InvalidOptionError(`--header expects "Name: value", received "${value}"`);
  return [value.slice(0, index).trim(), value.slice(index + 1).trim()];
}

export function parseProfileOptions(flags: RawProfileFlags, scriptArgs: string[] = []): ProfileOptions {
  const mode = flags.mode ?? (flags.script ? "script" : undefined);
  if (!mode) throw new InvalidOptionError(`--mode is required: one of ${MODES.join(", ")}`);
  if (!isMode(mode)) throw new InvalidOptionError(`--mode expects one of ${MODES.join(", ")}, received "${mode}"`);
  if (flags.local && flags.target) throw new InvalidOptionError("--local and --target exclude each other: pick one");
  if (mode === "script" && !flags.script) {
    throw new InvalidOptionError("--mode script needs --script PATH (e.g. --script test-cases/example-sequential-requests.py)");
  }
  const target: TargetChoice = flags.target ? { kind: "docker", container: flags.target } : { kind: "local" };
  if (target.kind === "local" && ["endpoint", "sequence", "live-web"].includes(mode) && !flags.app) {
    throw new InvalidOptionError(`--mode ${mode} on the local host needs --app module:attr (the WSGI app to serve)`);
  }
  if (flags.app !== undefined && !/^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*(\(\))?$/.test(flags.app)) {
    throw new InvalidOptionError(`--app expects module:attr (e.g. forecast_service.app:app), received "${flags.app}"`);
  }
  const endpointPath = flags.endpoint ?? "/";
  if (!endpointPath.startsWith("/")) throw new InvalidOptionError(`--endpoint expects a path starting with /, received "${endpointPath}"`);
  const method = (flags.method ?? (flags.body ? "POST" : "GET")).toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new InvalidOptionError(`--method expects an HTTP method such as GET, received "${flags.method}"`);
  if (flags.body !== undefined) {
    try {
      JSON.parse(flags.body);
    } catch {
      throw new InvalidOptionError(`--body expects JSON, received ${JSON.stringify(flags.body)}`);
    }
  }
  const headers = Object.fromEntries((flags.header ?? []).map(header));
  if (flags.body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
    headers["Content-Type"] = "application/json";
  }
  return {
    mode,
    target,
    python: flags.python,
    script: flags.script,
    scriptArgs,
    endpoint: { path: endpointPath, method, body: flags.body ?? null, headers },
    requests: integer("--requests", flags.requests, 1, 100_000) ?? (mode === "sequence" ? 10 : 1),
    delaySeconds: seconds("--delay", flags.delay) ?? (mode === "sequence" ? 1 : 0),
    app: flags.app,
    port: integer("--port", flags.port, 1, 65535),
    traceAllocators: flags.traceAllocators === undefined ? true : parsePythonBool("--trace-allocators", flags.traceAllocators),
    out: flags.out ?? "runs",
    name: flags.name,
    json: Boolean(flags.json),
    allowNoMemray: Boolean(flags.allowNoMemray),
    modules: flags.module ?? [],
    livePort: integer("--live-port", flags.livePort, 1, 65535) ?? 9001,
    timeoutSeconds: seconds("--timeout", flags.timeout),
  };
}
