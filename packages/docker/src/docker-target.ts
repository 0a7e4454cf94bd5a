import fs from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import { COMMAND_NOT_FOUND, PythonNotFoundError, type ExecOptions, type ExecResult, type Target } from "@alpiq/memray-core";
import createDebug from "debug";
import type Docker from "dockerode";
import tarFs from "tar-fs";
import { ChunkBatcher } from "./chunk-batcher.js";
import { execExitCode, startExec } from "./docker-exec.js";
import { AppNotFoundError, CopyFailedError, DockerExecError, PortNotDetectableError, tail } from "./errors.js";
import { COMPOSE_SERVICE_LABEL, resolveContainer } from "./resolve-container.js";
import { envListToRecord, parseServiceCommand, type ServiceCommand } from "./service-command.js";
import { chooseServicePort, type ServicePortSource } from "./service-port.js";

const debug = createDebug("memray:docker");

/** Interpreters tried, in order, after the one the container's own command uses. */
export const PYTHON_CANDIDATES = ["/opt/venv/bin/python", "python3", "python"] as const;

const PYTHON_NAME = /^python(\d+(\.\d+)*)?$/;
/** copyOut: bytes per batch handed to the tar parser, and the write buffer of each extracted file. */
const COPY_BATCH_BYTES = 256 * 1024;
const COPY_WRITE_BUFFER_BYTES = 8 * 1024 * 1024;
const bufferedFs = {
  ...fs,
  createWriteStream: (file: fs.PathLike, options?: object) =>
    fs.createWriteStream(file, { ...options, highWaterMark: COPY_WRITE_BUFFER_BYTES }),
};

const OCI_NOT_FOUND = /OCI runtime exec failed|executable file not found|no such file or directory/i;

export interface DockerTargetConnectOptions {
  docker: Docker;
  /** Container name, id (prefix) or Compose service name (`service` or `project/service`). */
  container: string;
  /** Compose project to look the service up in. */
  project?: string;
}

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

/**
 * A running Docker container as a memray-cli Target. Everything goes through the Engine API: commands
 * run with `docker exec` (argv arrays, never a shell), files move as tar streams (never buffered).
 */
export class DockerTarget implements Target {
  readonly kind = "docker";
  readonly sharesHostFilesystem = false;
  /** Container name (without the leading slash). */
  readonly name: string;
  readonly id: string;
  readonly container: Docker.Container;
  private owner: Promise<{ uid: number; gid: number }> | undefined;
  private python: Promise<string> | undefined;

  /** Resolve a running container by exact name, id prefix or Compose service and wrap it. */
  static async connect(options: DockerTargetConnectOptions): Promise<DockerTarget> {
    const info = await resolveContainer(options);
    return new DockerTarget(options.docker, info);
  }

  constructor(
    readonly docker: Docker,
    /** `docker inspect` of the container when it was resolved. */
    readonly info: Docker.ContainerInspectInfo,
  ) {
    this.name = info.Name.replace(/^\//, "");
    this.id = info.Id;
    this.container = docker.getContainer(info.Id);
  }

  /** Compose service name, when the container belongs to a Compose project. */
  get composeService(): string | undefined {
    return this.info.Config.Labels?.[COMPOSE_SERVICE_LABEL];
  }

  /** The container's command: Entrypoint followed by Cmd. */
  get command(): string[] {
    const entrypoint = this.info.Config.Entrypoint;
    const ep = Array.isArray(entrypoint) ? entrypoint : entrypoint ? [entrypoint] : [];
    return [...ep, ...(this.info.Config.Cmd ?? [])];
  }

  /** The container's working directory ("/" when unset). */
  get workingDir(): string {
    return this.info.Config.WorkingDir || "/";
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const withInput = options.input !== undefined;
    const { exec, stream } = await startExec(this.container, this.name, argv, {
      env: options.env,
      cwd: options.cwd,
      stdin: withInput,
    });
    const out = collector(options.onStdout);
    const err = collector(options.onStderr);
    const done = new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        if (error) reject(error);
        else resolve();
      };
      stream.once("end", () => finish());
      stream.once("close", () => finish());
      stream.once("error", (error) => finish(error));
    });
    this.docker.modem.demuxStream(stream, out.sink as unknown as NodeJS.WritableStream, err.sink as unknown as NodeJS.WritableStream);
    if (withInput) {
      stream.write(options.input);
      stream.end();
    }
    const onAbort = () => void this.abortExec(exec, stream, argv);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (options.signal?.aborted) onAbort();
      await done;
    } catch (error) {
      throw new DockerExecError(this.name, argv, error);
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    let exitCode = await execExitCode(exec, this.name, argv);
    let stdout = out.end();
    let stderr = err.end();
    if ((exitCode === 126 || exitCode === 127) && OCI_NOT_FOUND.test(stdout + stderr) && /OCI runtime|exec failed/.test(stdout + stderr)) {
      // The engine could not start the program: report it like a shell would.
      stderr = `${argv[0]}: command not found\n${stdout}${stderr}`;
      stdout = "";
      exitCode = COMMAND_NOT_FOUND;
    }
    debug("exec in %s exited %d: %o", this.name, exitCode, argv);
    return { exitCode, stdout, stderr };
  }

  /** Stop an exec'd process: SIGTERM to its pid (the engine's host), then drop the connection. */
  private async abortExec(exec: Docker.Exec, stream: NodeJS.ReadableStream & { destroy(): void }, argv: readonly string[]) {
    debug("aborting exec %o in %s", argv, this.name);
    try {
      const info = (await exec.inspect()) as Docker.ExecInspectInfo & { Pid?: number };
      if (info.Running && info.Pid) process.kill(info.Pid, "SIGTERM");
    } catch (error) {
      debug("could not signal the exec'd process: %O", error);
    }
    setTimeout(() => stream.destroy(), 2000).unref();
  }

  async copyIn(hostPath: string, targetDir: string): Promise<void> {
    const source = path.resolve(hostPath);
    try {
      await stat(source);
    } catch (error) {
      throw new CopyFailedError("in", this.name, hostPath, targetDir, error, "the host path does not exist or is not readable");
    }
    await this.mkdirp(targetDir, hostPath);
    const { uid, gid } = await this.fileOwner();
    // Files belong to the container's default user, so the workload can write beside them.
    const pack = tarFs.pack(path.dirname(source), {
      entries: [path.basename(source)],
      map: (header) => ({ ...header, uid, gid, uname: undefined, gname: undefined }) as typeof header,
    });
    debug("copy %s → %s:%s", source, this.name, targetDir);
    try {
      await this.container.putArchive(pack, { path: targetDir });
    } catch (error) {
      pack.destroy();
      throw new CopyFailedError("in", this.name, hostPath, targetDir, error);
    }
  }

  async copyOut(targetDir: string, hostDir: string): Promise<void> {
    const source = targetDir.replace(/\/+$/, "") || "/";
    try {
      await mkdir(hostDir, { recursive: true });
    } catch (error) {
      throw new CopyFailedError("out", this.name, targetDir, hostDir, error, "check the host directory is writable");
    }
    debug("copy %s:%s → %s", this.name, source, hostDir);
    let archive: NodeJS.ReadableStream;
    try {
      // "dir/." makes the engine send the directory's contents as ./..., so they land in hostDir itself.
      archive = await this.container.getArchive({ path: `${source === "/" ? "" : source}/.` });
    } catch (error) {
      const missing = (error as { statusCode?: number }).statusCode === 404;
      throw new CopyFailedError("out", this.name, targetDir, hostDir, error, missing ? "the directory does not exist in the container" : undefined);
    }
    try {
      // Large batches and write buffers: fewer, bigger writes (writev) while the socket keeps draining.
      await pipeline(
        archive,
        new ChunkBatcher(COPY_BATCH_BYTES),
        tarFs.extract(hostDir, { chown: false, strict: false, fs: bufferedFs } as tarFs.ExtractOptions),
      );
    } catch (error) {
      throw new CopyFailedError("out", this.name, targetDir, hostDir, error);
    }
  }

  async scratchDir(): Promise<string> {
    const argv = ["mktemp", "-d", "/tmp/memray-cli-XXXXXX"];
    const result = await this.exec(argv);
    const dir = result.stdout.trim();
    if (result.exitCode !== 0 || !dir.startsWith("/")) {
      throw new DockerExecError(this.name, argv, new Error(`exit ${result.exitCode}: ${tail(result.stderr, 5)}`), {
        hint: "the container needs mktemp and a writable /tmp",
      });
    }
    return dir;
  }

  /**
   * The Python interpreter to profile with: the one the container's command runs under (the
   * shebang of waitress-serve/gunicorn/flask, or `python -m ...`), else /opt/venv/bin/python, python3,
   * python. Returns its sys.executable. Cached per target.
   */
  findPython(): Promise<string> {
    if (!this.python) {
      const pending = this.locatePython();
      this.python = pending;
      pending.catch(() => {
        if (this.python === pending) this.python = undefined;
      });
    }
    return this.python;
  }

  private async locatePython(): Promise<string> {
    const candidates = [...(await this.pythonsOfCommand()), ...PYTHON_CANDIDATES];
    const tried: string[] = [];
    for (const candidate of new Set(candidates)) {
      tried.push(candidate);
      const probe = await this.exec([candidate, "-c", "import sys; print(sys.executable or ''); print(sys.version_info[0])"]);
      const [executable, major] = probe.stdout.trim().split("\n");
      if (probe.exitCode === 0 && major === "3") {
        debug("python of %s: %s (%s)", this.name, candidate, executable);
        return executable?.startsWith("/") ? executable : candidate;
      }
    }
    throw new PythonNotFoundError(tried.join(", "), this.name);
  }

  private async pythonsOfCommand(): Promise<string[]> {
    const command = this.command;
    const parsed = parseServiceCommand(command, envListToRecord(this.info.Config.Env));
    if (parsed?.interpreter) return [parsed.interpreter];
    const program = parsed?.program ?? command[0];
    if (!program) return [];
    if (PYTHON_NAME.test(path.posix.basename(program))) return [program];
    const resolved = program.startsWith("/") ? program : await this.which(program);
    if (!resolved) return [];
    const found: string[] = [];
    const head = await this.exec(["head", "-n", "1", resolved]);
    const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head.exitCode === 0 ? head.stdout : "");
    if (shebang) {
      const [, interpreter, arg] = shebang;
      if (path.posix.basename(interpreter!) === "env" && arg) found.push(arg);
      else if (PYTHON_NAME.test(path.posix.basename(interpreter!))) found.push(interpreter!);
    }
    found.push(path.posix.join(path.posix.dirname(resolved), "python"));
    return found;
  }

  /** `command -v NAME` in the container; the name is a positional parameter, never part of the script. */
  private async which(name: string): Promise<string | null> {
    const result = await this.exec(["sh", "-c", 'command -v "$1"', "sh", name]).catch(() => null);
    const found = result?.exitCode === 0 ? result.stdout.trim() : "";
    return found.startsWith("/") ? found : null;
  }

  /**
   * The port the service listens on inside the container: `portOverride`, the preset by name
   * (forecast → 5000, optimization → 6000), the single exposed/published port, or the port on the
   * server's command line. Throws PortNotDetectableError (exit 2) otherwise.
   */
  async detectServicePort(options: { portOverride?: number | null | undefined } = {}): Promise<number> {
    return (await this.detectServicePortWithSource(options)).port;
  }

  async detectServicePortWithSource(options: { portOverride?: number | null | undefined } = {}): Promise<DetectedServicePort> {
    const keys = new Set<string>([
      ...Object.keys(this.info.Config.ExposedPorts ?? {}),
      ...Object.keys(this.info.NetworkSettings?.Ports ?? {}),
      ...Object.keys(this.info.HostConfig?.PortBindings ?? {}),
    ]);
    const parsed = parseServiceCommand(this.command, envListToRecord(this.info.Config.Env));
    const choice = chooseServicePort({
      portOverride: options.portOverride,
      names: [this.name, this.composeService],
      portKeys: [...keys],
      commandPort: parsed?.port,
    });
    if (choice.port === null) throw new PortNotDetectableError(this.name, "candidates" in choice ? choice.candidates : []);
    return choice as DetectedServicePort;
  }

  /**
   * The WSGI app the container serves, from its Entrypoint + Cmd, else from its running processes
   * (an entrypoint script that execs gunicorn). Throws AppNotFoundError (exit 2) when none is found.
   */
  async detectApp(): Promise<DetectedApp> {
    const env = envListToRecord(this.info.Config.Env);
    const fromConfig = parseServiceCommand(this.command, env);
    if (fromConfig) return this.toDetectedApp(fromConfig, "config", this.command);
    for (const argv of await this.processCommandLines()) {
      const parsed = parseServiceCommand(argv, env);
      if (parsed) return this.toDetectedApp(parsed, "process", argv);
    }
    throw new AppNotFoundError(this.name, this.command);
  }

  private toDetectedApp(parsed: ServiceCommand, source: DetectedApp["source"], command: readonly string[]): DetectedApp {
    const appDir = parsed.chdir ? path.posix.resolve(this.workingDir, parsed.chdir) : this.workingDir;
    return { app: parsed.app, appDir, server: parsed.server, port: parsed.port, source, command };
  }

  /** Command lines of the container's processes, pid 1 first (from /proc, no shell). */
  private async processCommandLines(): Promise<string[][]> {
    const list = await this.exec(["ls", "/proc"]).catch(() => null);
    const pids = (list?.stdout ?? "")
      .split(/\s+/)
      .filter((p) => /^\d+$/.test(p))
      .map(Number)
      .sort((a, b) => a - b)
      .slice(0, 64);
    const lines: string[][] = [];
    for (const pid of pids.length > 0 ? pids : [1]) {
      const result = await this.exec(["cat", `/proc/${pid}/cmdline`]).catch(() => null);
      if (!result || result.exitCode !== 0) continue;
      const argv = result.stdout.replace(/\0$/, "").split("\0");
      if (argv[0] && argv[0] !== "cat" && argv[0] !== "ls") lines.push(argv);
    }
    return lines;
  }

  private async mkdirp(dir: string, source: string): Promise<void> {
    const result = await this.exec(["mkdir", "-p", "--", dir]);
    if (result.exitCode !== 0) {
      throw new CopyFailedError("in", this.name, source, dir, new Error(tail(result.stderr, 5) || `mkdir exited ${result.exitCode}`));
    }
  }

  /** uid/gid of the container's default user (root when `id` is missing). */
  private fileOwner(): Promise<{ uid: number; gid: number }> {
    this.owner ??= (async () => {
      const result = await this.exec(["id", "-u"]).catch(() => null);
      const group = await this.exec(["id", "-g"]).catch(() => null);
      const uid = Number(result?.exitCode === 0 ? result.stdout.trim() : 0);
      const gid = Number(group?.exitCode === 0 ? group.stdout.trim() : 0);
      return { uid: Number.isInteger(uid) ? uid : 0, gid: Number.isInteger(gid) ? gid : 0 };
    })();
    return this.owner;
  }
}

/** Decodes a demuxed stream as UTF-8 (multi-byte characters split across frames stay whole). */
function collector(onChunk: ((chunk: string) => void) | undefined) {
  const decoder = new StringDecoder("utf8");
  let text = "";
  const push = (s: string) => {
    if (!s) return;
    text += s;
    onChunk?.(s);
  };
  return {
    sink: { write: (chunk: Buffer) => (push(decoder.write(chunk)), true) },
    end: () => {
      push(decoder.end());
      return text;
    },
  };
}
