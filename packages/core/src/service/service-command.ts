import path from "node:path";
import { parseAppRef } from "../app-ref.js";
import { splitShellCommands } from "./shell-words.js";

/** A WSGI or ASGI server command line, as recognised from a container's Entrypoint + Cmd or a process. */
export interface ServiceCommand {
  server: "waitress" | "gunicorn" | "flask" | "uvicorn" | "hypercorn";
  /**
   * What the server speaks to the app, as the command says: `asgi` for uvicorn, hypercorn and gunicorn with a
   * uvicorn worker class (`-k uvicorn.workers.UvicornWorker`), `wsgi` otherwise (uvicorn `--interface wsgi`).
   * The harness tells it again from the app object itself.
   */
  interface: "wsgi" | "asgi";
  /** `module:attr` or `module:factory()`, ready for the harness's `app`. */
  app: string;
  /** The app is built by calling a factory (`--call`, `mod:create_app()`). */
  factory: boolean;
  /** True when the command named only a module and the attribute is the server's default. */
  attrGuessed: boolean;
  /** Port the server listens on, when the command says so (or the server's documented default). */
  port: number | null;
  host: string | null;
  /** Directory the app is imported from, when the command changes it (`--chdir`, `cd DIR &&`, flask path). */
  chdir: string | null;
  /** The program as written (`/opt/venv/bin/gunicorn`, `python3`, ...). */
  program: string;
  /** The interpreter when run as `python -m <server>`. */
  interpreter: string | null;
}

const PYTHON = /^python(\d+(\.\d+)*)?$/;
const SHELLS = new Set(["sh", "bash", "dash", "ash", "zsh"]);
const WRAPPERS = new Set(["exec", "tini", "dumb-init", "tini-static", "gosu", "su-exec", "nohup", "chpst"]);
const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Find the WSGI or ASGI app in a command line. `argv` is Entrypoint followed by Cmd (a shell form like
 * `["/bin/sh", "-c", "cd /srv && exec gunicorn -b :6000 app:app"]` is understood); `env` is the
 * container's environment (FLASK_APP, GUNICORN_CMD_ARGS, PORT, FLASK_RUN_PORT, UVICORN_PORT, UVICORN_HOST).
 * Returns null when no waitress-serve, gunicorn, flask, uvicorn or hypercorn command is found (also as
 * `python -m uvicorn`, `python -m hypercorn`).
 */
export function parseServiceCommand(argv: readonly string[], env: Readonly<Record<string, string>> = {}): ServiceCommand | null {
  for (const command of simpleCommands(argv)) {
    const found = parseSimpleCommand(command.words, { ...env, ...command.env }, command.cwd);
    if (found) return found;
  }
  return null;
}

/** `KEY=VALUE` strings (Docker's Config.Env) as a record. */
export function envListToRecord(list: readonly string[] | null | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf("=");
    if (eq > 0) env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return env;
}

interface SimpleCommand {
  words: string[];
  env: Record<string, string>;
  cwd: string | null;
}

/** Unwrap `sh -c "..."`, `exec`, `env K=V`, init wrappers and `cd DIR &&` into simple commands. */
function simpleCommands(argv: readonly string[]): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  let cwd: string | null = null;
  const visit = (words: string[], depth: number) => {
    const env: Record<string, string> = {};
    let i = 0;
    for (;;) {
      const w = words[i];
      if (w === undefined) return;
      const base = path.posix.basename(w);
      if (ENV_ASSIGNMENT.test(w)) {
        const eq = w.indexOf("=");
        env[w.slice(0, eq)] = w.slice(eq + 1);
        i++;
      } else if (base === "env") {
        i++;
        while (words[i]?.startsWith("-")) i++;
      } else if (WRAPPERS.has(base)) {
        i++;
        if (base === "gosu" || base === "su-exec") i++; // user argument
        while (words[i]?.startsWith("-")) i++;
      } else if (w === "--") {
        i++;
      } else {
        break;
      }
    }
    const rest = words.slice(i);
    const head = rest[0]!;
    const base = path.posix.basename(head);
    if (SHELLS.has(base) && depth < 3) {
      const c = rest.findIndex((a, idx) => idx > 0 && /^-[a-z]*c[a-z]*$/.test(a));
      const script = c === -1 ? undefined : rest[c + 1];
      if (script !== undefined) {
        for (const command of splitShellCommands(script)) visit(command, depth + 1);
        return;
      }
    }
    if (base === "cd" && rest[1]) {
      cwd = rest[1];
      return;
    }
    out.push({ words: rest, env, cwd });
  };
  if (argv.length > 0) visit([...argv], 0);
  return out;
}

function parseSimpleCommand(words: string[], env: Record<string, string>, cwd: string | null): ServiceCommand | null {
  const program = words[0]!;
  const base = path.posix.basename(program);
  if (PYTHON.test(base)) {
    const entry = pythonEntry(words);
    if (!entry) return null;
    const result = parseServer(entry.name, entry.args, env, cwd, program);
    return result ? { ...result, interpreter: program } : null;
  }
  return parseServer(serverOfScript(base), words.slice(1), env, cwd, program);
}

const serverOfScript = (base: string) => (base === "waitress-serve" ? "waitress" : base);

/**
 * `python [-u -O -X opt -W arg ...] -m module args...` → module and its args; also
 * `python /venv/bin/gunicorn args...`, which is how a server started through its shebang shows in
 * /proc/PID/cmdline.
 */
function pythonEntry(words: string[]): { name: string; args: string[] } | null {
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === "-m") {
      const name = words[i + 1];
      return name ? { name, args: words.slice(i + 2) } : null;
    }
    if (w.startsWith("-m") && w.length > 2) return { name: w.slice(2), args: words.slice(i + 1) };
    if (w === "-X" || w === "-W" || w === "--check-hash-based-pycs") {
      i++;
      continue;
    }
    if (w === "-c") return null; // inline code
    if (!w.startsWith("-")) return { name: serverOfScript(path.posix.basename(w)), args: words.slice(i + 1) }; // a script
  }
  return null;
}

function parseServer(server: string, args: string[], env: Record<string, string>, cwd: string | null, program: string): ServiceCommand | null {
  const common = { program, interpreter: null };
  switch (server) {
    case "waitress":
      return parseWaitress(args, cwd, common);
    case "gunicorn":
      return parseGunicorn(args, env, cwd, common);
    case "flask":
      return parseFlask(args, env, cwd, common);
    case "uvicorn":
      return parseUvicorn(args, env, cwd, common);
    case "hypercorn":
      return parseHypercorn(args, cwd, common);
    default:
      return null;
  }
}

type Common = Pick<ServiceCommand, "program" | "interpreter">;

// waitress-serve options that take no value (every other --option takes one, `--x=v` or `--x v`).
const WAITRESS_FLAGS = new Set([
  "--help",
  "-h",
  "--call",
  "--ipv4",
  "--ipv6",
  "--no-ipv4",
  "--no-ipv6",
  "--expose-tracebacks",
  "--no-expose-tracebacks",
  "--log-socket-errors",
  "--no-log-socket-errors",
  "--clear-untrusted-proxy-headers",
  "--no-clear-untrusted-proxy-headers",
  "--log-untrusted-proxy-headers",
  "--no-log-untrusted-proxy-headers",
  "--call",
]);

function parseWaitress(args: string[], cwd: string | null, common: Common): ServiceCommand | null {
  const scanned = scanArgs(args, WAITRESS_FLAGS);
  let port: number | null = null;
  let host: string | null = null;
  for (const { name, value } of scanned.options) {
    if (name === "--port") port = toPort(value) ?? port;
    else if (name === "--host") host = value;
    else if (name === "--listen" && port === null) ({ host, port } = parseBind(value));
  }
  const target = scanned.positionals[0] ?? scanned.afterDashDash;
  if (!target) return null;
  const spec = appSpec(target, "application", scanned.flags.has("--call"));
  if (!spec) return null;
  return { server: "waitress", interface: "wsgi", ...spec, port: port ?? 8080, host, chdir: cwd, ...common };
}

// gunicorn options that take no value.
const GUNICORN_FLAGS = new Set([
  "-h",
  "--help",
  "-v",
  "--version",
  "-D",
  "--daemon",
  "-R",
  "--enable-stdio-inheritance",
  "--preload",
  "--reload",
  "--spew",
  "--check-config",
  "--print-config",
  "--capture-output",
  "--no-sendfile",
  "--reuse-port",
  "--log-syslog",
  "--disable-redirect-access-to-syslog",
  "--initgroups",
  "--strip-header-spaces",
  "--suppress-ragged-eofs",
  "--do-handshake-on-connect",
  "--permit-obsolete-folding",
  "--permit-unconventional-http-method",
  "--permit-unconventional-http-version",
  "--casefold-http-method",
]);

function parseGunicorn(args: string[], env: Record<string, string>, cwd: string | null, common: Common): ServiceCommand | null {
  const scanned = scanArgs([...splitWordsLoosely(env.GUNICORN_CMD_ARGS), ...args], GUNICORN_FLAGS);
  let bind: { host: string | null; port: number | null } | null = null;
  let chdir: string | null = null;
  let workerClass: string | null = null;
  for (const { name, value } of scanned.options) {
    if ((name === "-b" || name === "--bind") && (bind === null || bind.port === null)) {
      if (!value.startsWith("unix:") && !value.startsWith("fd://")) bind = parseBind(value, 8000);
    } else if (name === "--chdir") {
      chdir = value;
    } else if (name === "-k" || name === "--worker-class") {
      workerClass = value;
    }
  }
  const target = scanned.positionals.at(-1) ?? scanned.afterDashDash; // the last positional is APP_MODULE
  if (!target) return null;
  const spec = appSpec(target, "application", false);
  if (!spec) return null;
  if (!bind && env.PORT) bind = { host: "0.0.0.0", port: toPort(env.PORT) };
  return {
    server: "gunicorn",
    // uvicorn.workers.UvicornWorker, uvicorn_worker.UvicornWorker, ...: the worker speaks ASGI to the app.
    interface: workerClass && /uvicorn|asgi/i.test(workerClass) ? "asgi" : "wsgi",
    ...spec,
    port: bind?.port ?? 8000,
    host: bind?.host ?? null,
    chdir: joinDir(cwd, chdir),
    ...common,
  };
}

const FLASK_GLOBAL_WITH_VALUE = new Set(["--app", "-A", "--env-file", "-e"]);
const FLASK_RUN_WITH_VALUE = new Set(["--host", "-h", "--port", "-p", "--cert", "--key", "--extra-files", "--exclude-patterns"]);

function parseFlask(args: string[], env: Record<string, string>, cwd: string | null, common: Common): ServiceCommand | null {
  let app: string | null = null;
  let subcommand: string | null = null;
  let port: number | null = null;
  let host: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith("-")) {
      const { name, value, consumed } = optionValue(a, args[i + 1]);
      const takesValue = subcommand === null ? FLASK_GLOBAL_WITH_VALUE.has(name) : FLASK_RUN_WITH_VALUE.has(name);
      if (!takesValue) continue;
      if (consumed) i++;
      if (value === null) continue;
      if (name === "--app" || name === "-A") app = value;
      else if (name === "--port" || name === "-p") port = toPort(value);
      else if (name === "--host" || name === "-h") host = value;
      continue;
    }
    if (subcommand === null) subcommand = a;
    else if (subcommand !== "run") break;
  }
  if (subcommand !== "run") return null;
  app ??= env.FLASK_APP ?? null;
  if (!app) return null;
  // --app may be a file or a path: src/hello.py, src/hello, hello.py:create_app()
  const colon = app.indexOf(":");
  let modulePart = colon === -1 ? app : app.slice(0, colon);
  const attrPart = colon === -1 ? "" : app.slice(colon);
  let dir: string | null = null;
  if (modulePart.includes("/") || modulePart.endsWith(".py")) {
    const parsed = path.posix.parse(modulePart);
    dir = parsed.dir || null;
    modulePart = parsed.ext === ".py" ? parsed.name : parsed.base;
  }
  const spec = appSpec(modulePart + attrPart, "app", false);
  if (!spec) return null;
  port ??= toPort(env.FLASK_RUN_PORT ?? "") ?? 5000;
  host ??= env.FLASK_RUN_HOST ?? null;
  return { server: "flask", interface: "wsgi", ...spec, port, host, chdir: joinDir(cwd, dir), ...common };
}

// uvicorn options that take no value (every other --option takes one, `--x=v` or `--x v`).
const UVICORN_FLAGS = new Set([
  "--reload",
  "--factory",
  "--use-colors",
  "--no-use-colors",
  "--access-log",
  "--no-access-log",
  "--proxy-headers",
  "--no-proxy-headers",
  "--server-header",
  "--no-server-header",
  "--date-header",
  "--no-date-header",
  "--version",
  "--help",
]);

/** `uvicorn [--host H] [--port N] [--factory] [--app-dir D] [--interface I] mod:app` (its default port 8000). */
function parseUvicorn(args: string[], env: Record<string, string>, cwd: string | null, common: Common): ServiceCommand | null {
  const scanned = scanArgs(args, UVICORN_FLAGS);
  let port: number | null = null;
  let host: string | null = null;
  let appDir: string | null = null;
  let iface: string | null = null;
  for (const { name, value } of scanned.options) {
    if (name === "--port") port = toPort(value) ?? port;
    else if (name === "--host") host = value;
    else if (name === "--app-dir") appDir = value;
    else if (name === "--interface") iface = value;
  }
  const factory = scanned.flags.has("--factory");
  const target = scanned.positionals[0] ?? scanned.afterDashDash ?? env.UVICORN_APP ?? null;
  if (!target) return null;
  const spec = appSpec(target, "app", factory || /^(1|true|yes)$/i.test(env.UVICORN_FACTORY ?? ""));
  if (!spec) return null;
  port ??= toPort(env.UVICORN_PORT ?? "") ?? 8000;
  host ??= env.UVICORN_HOST ?? null;
  return { server: "uvicorn", interface: iface === "wsgi" ? "wsgi" : "asgi", ...spec, port, host, chdir: joinDir(cwd, appDir), ...common };
}

// hypercorn options that take no value.
const HYPERCORN_FLAGS = new Set(["--debug", "--reload", "--version", "-v", "--help", "-h"]);

/** `hypercorn [-b HOST:PORT] [--root-path P] mod:app` (its default bind 127.0.0.1:8000; `mod:create_app()` a factory). */
function parseHypercorn(args: string[], cwd: string | null, common: Common): ServiceCommand | null {
  const scanned = scanArgs(args, HYPERCORN_FLAGS);
  let bind: { host: string | null; port: number | null } | null = null;
  for (const { name, value } of scanned.options) {
    if ((name === "-b" || name === "--bind") && (bind === null || bind.port === null) && !value.startsWith("unix:")) bind = parseBind(value, 8000);
  }
  const target = scanned.positionals.at(-1) ?? scanned.afterDashDash; // the last positional is the application
  if (!target) return null;
  const spec = appSpec(target, "app", false);
  if (!spec) return null;
  return { server: "hypercorn", interface: "asgi", ...spec, port: bind?.port ?? 8000, host: bind?.host ?? null, chdir: cwd, ...common };
}

/**
 * A server's app argument → harness spec: `mod:attr` and `mod:factory()` as core's APP_REF_PATTERN
 * defines them, or `mod` alone (the server's default attribute, `attrGuessed`). `call`: the server was
 * told to call the attribute (waitress-serve --call).
 */
function appSpec(target: string, defaultAttr: string, call: boolean): Pick<ServiceCommand, "app" | "factory" | "attrGuessed"> | null {
  const colon = target.indexOf(":");
  const attrGuessed = colon === -1 || colon === target.length - 1;
  const ref = parseAppRef(attrGuessed ? `${colon === -1 ? target : target.slice(0, colon)}:${defaultAttr}` : target);
  if (!ref) return null;
  const factory = ref.factory || call;
  return { app: `${ref.module}:${ref.attr}${factory ? "()" : ""}`, factory, attrGuessed };
}

interface ScannedArgs {
  positionals: string[];
  /** The argument after `--`, if any (an app named after the end of the options). */
  afterDashDash: string | null;
  /** Options with their value, in order (an option that ends the command without its value is left out). */
  options: { name: string; value: string }[];
  /** Options that take no value (those in the server's set) that were given. */
  flags: Set<string>;
}

/**
 * A server's arguments, split as its option parser would: `flags` take no value, every other option
 * does (`--x=v`, `--x v`, `-xv`, `-x v`).
 */
function scanArgs(args: readonly string[], flags: ReadonlySet<string>): ScannedArgs {
  const scanned: ScannedArgs = { positionals: [], afterDashDash: null, options: [], flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      scanned.afterDashDash = args[i + 1] ?? null;
      break;
    }
    if (!a.startsWith("-") || a === "-") scanned.positionals.push(a);
    else if (flags.has(a)) scanned.flags.add(a);
    else if (!a.startsWith("--") && a.length > 2) scanned.options.push({ name: a.slice(0, 2), value: a.slice(2) });
    else {
      const { name, value, consumed } = optionValue(a, args[i + 1]);
      if (consumed) i++;
      if (value !== null) scanned.options.push({ name, value });
    }
  }
  return scanned;
}

/** `--name=value`, `--name value`, `-x value` → name, value, whether the next arg was used. */
function optionValue(arg: string, next: string | undefined): { name: string; value: string | null; consumed: boolean } {
  const eq = arg.indexOf("=");
  if (arg.startsWith("--") && eq !== -1) return { name: arg.slice(0, eq), value: arg.slice(eq + 1), consumed: false };
  if (next === undefined) return { name: arg, value: null, consumed: false };
  return { name: arg, value: next, consumed: true };
}

/** `0.0.0.0:6000`, `[::]:6000`, `:6000`, `*:5000`, `localhost` → host and port. */
export function parseBind(value: string, defaultPort: number | null = null): { host: string | null; port: number | null } {
  const v = value.replace(/^tcp:\/\//, "");
  const ipv6 = /^\[([^\]]*)\](?::(\d+))?$/.exec(v);
  if (ipv6) return { host: ipv6[1] ?? null, port: ipv6[2] ? toPort(ipv6[2]) : defaultPort };
  const colon = v.lastIndexOf(":");
  if (colon === -1) return /^\d+$/.test(v) ? { host: null, port: toPort(v) } : { host: v || null, port: defaultPort };
  return { host: v.slice(0, colon) || null, port: toPort(v.slice(colon + 1)) ?? defaultPort };
}

function toPort(value: string): number | null {
  if (!/^\d+$/.test(value.trim())) return null;
  const n = Number(value);
  return n > 0 && n < 65536 ? n : null;
}

function joinDir(cwd: string | null, dir: string | null): string | null {
  if (!dir) return cwd;
  if (dir.startsWith("/") || !cwd) return dir;
  return path.posix.join(cwd, dir);
}

function splitWordsLoosely(value: string | undefined): string[] {
  return value ? value.trim().split(/\s+/).filter(Boolean) : [];
}
