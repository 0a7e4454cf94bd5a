import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  ArchiveSourceMissingError,
  COMMAND_NOT_FOUND,
  envListToRecord,
  forwardLoopback,
  TargetBase,
  TargetExecError,
  type ExecOptions,
  type ExecResult,
  type ForwardPortOptions,
  type PortForward,
  type ServiceProcess,
  type TargetPlace,
} from "@alpiq/memray-core";
import createDebug from "debug";
import type Docker from "dockerode";
import { ChunkBatcher } from "./chunk-batcher.js";
import { execExitCode, startExec } from "./docker-exec.js";
import { ExecOutput } from "./exec-output.js";
import { carryOverRelay } from "./port-relay.js";
import { COMPOSE_SERVICE_LABEL, resolveContainer } from "./resolve-container.js";

const debug = createDebug("memray:docker");

/** copyOut: bytes per batch handed to the tar parser. */
const COPY_BATCH_BYTES = 256 * 1024;

const OCI_NOT_FOUND = /OCI runtime exec failed|executable file not found|no such file or directory/i;

export interface DockerTargetConnectOptions {
  docker: Docker;
  /** Container name, id (prefix) or Compose service name (`service` or `project/service`). */
  container: string;
  /** Compose project to look the service up in. */
  project?: string;
}

/**
 * A running Docker container as a memray-cli Target. Everything goes through the Engine API: commands
 * run with `docker exec` (argv arrays, never a shell), files move as tar streams (never buffered),
 * ports reach the host through an exec'd relay per connection (container addresses are never used).
 */
export class DockerTarget extends TargetBase {
  readonly kind = "docker";
  /** Container name (without the leading slash). */
  readonly name: string;
  readonly id: string;
  readonly place: TargetPlace;
  readonly container: Docker.Container;
  readonly holdsStdin = true;
  private owner: Promise<{ uid: number; gid: number }> | undefined;

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
    super();
    this.name = info.Name.replace(/^\//, "");
    this.id = info.Id;
    this.container = docker.getContainer(info.Id);
    this.place = { kind: "container", name: this.name, execPrefix: ["docker", "exec", this.name], checkCommand: `docker ps --filter name=${this.name}` };
  }

  /** The container's main process as service detection reads it: Entrypoint + Cmd, Env, WorkingDir, names, ports. */
  service(): ServiceProcess {
    const { Config, NetworkSettings, HostConfig } = this.info;
    const entrypoint = Config.Entrypoint;
    const portKeys = new Set([
      ...Object.keys(Config.ExposedPorts ?? {}),
      ...Object.keys(NetworkSettings?.Ports ?? {}),
      ...Object.keys(HostConfig?.PortBindings ?? {}),
    ]);
    return {
      name: this.name,
      exec: (argv, options) => this.exec(argv, options),
      command: [...(Array.isArray(entrypoint) ? entrypoint : entrypoint ? [entrypoint] : []), ...(Config.Cmd ?? [])],
      env: envListToRecord(Config.Env),
      workingDir: Config.WorkingDir || "/",
      names: [this.name, Config.Labels?.[COMPOSE_SERVICE_LABEL]],
      portKeys: [...portKeys],
    };
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const withInput = options.input !== undefined;
    // A held stdin is attached and never written: the daemon closes it when this process's connection goes (the host is gone).
    const { exec, stream } = await startExec(this.container, this.place, argv, {
      env: options.env,
      cwd: options.cwd,
      stdin: withInput || Boolean(options.holdStdin),
    });
    const output = new ExecOutput(options.onStdout, options.onStderr, options.buffer !== false);
    const done = new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        if (error) reject(error);
        else resolve();
      };
      output.once("finish", () => finish());
      output.once("error", (error) => finish(error));
      stream.once("error", (error) => finish(error));
      // A connection closed without an end (engine gone): the output ends with it.
      stream.once("close", () => output.writableEnded || output.end());
    });
    (stream as unknown as Readable).pipe(output);
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
      throw new TargetExecError(this.place, argv, { cause: error });
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    let exitCode = await execExitCode(exec, this.place, argv);
    let stdout = output.stdout;
    let stderr = output.stderr;
    if ((exitCode === 126 || exitCode === 127) && OCI_NOT_FOUND.test(stdout + stderr) && /OCI runtime|exec failed/.test(stdout + stderr)) {
      // The engine could not start the program: report it like a shell would.
      stderr = `${argv[0]}: command not found\n${stdout}${stderr}`;
      stdout = "";
      exitCode = COMMAND_NOT_FOUND;
    }
    debug("exec in %s exited %d: %o", this.name, exitCode, argv);
    return { exitCode, stdout, stderr };
  }

  /** A port of the container on 127.0.0.1: one exec'd Python relay per connection, under the service's interpreter. */
  override async forwardPort(targetPort: number, options: ForwardPortOptions = {}): Promise<PortForward> {
    const python = this.python ?? "python3";
    return forwardLoopback({
      ...options,
      place: this.place,
      targetPort,
      carry: (socket, report) => carryOverRelay(this.container, this.place, python, targetPort, socket, report),
    });
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

  protected async writeArchive(archive: Readable, targetDir: string): Promise<void> {
    await this.container.putArchive(archive, { path: targetDir });
  }

  protected async readArchive(sourceDir: string, sink: Writable): Promise<void> {
    let archive: NodeJS.ReadableStream;
    try {
      // "dir/." makes the engine send the directory's contents as ./..., so they land in hostDir itself.
      archive = await this.container.getArchive({ path: `${sourceDir === "/" ? "" : sourceDir}/.` });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404)
        throw new ArchiveSourceMissingError(`${sourceDir} does not exist in ${this.name}`, { cause: error });
      throw error;
    }
    // Large batches: fewer, bigger writes while the socket keeps draining.
    await pipeline(archive, new ChunkBatcher(COPY_BATCH_BYTES), sink);
  }

  /** uid/gid of the container's default user (root when `id` is missing): files copied in are theirs. */
  protected override archiveOwner(): Promise<{ uid: number; gid: number }> {
    this.owner ??= (async () => {
      const [user, group] = await Promise.all([this.exec(["id", "-u"]).catch(() => null), this.exec(["id", "-g"]).catch(() => null)]);
      const uid = Number(user?.exitCode === 0 ? user.stdout.trim() : 0);
      const gid = Number(group?.exitCode === 0 ? group.stdout.trim() : 0);
      return { uid: Number.isInteger(uid) ? uid : 0, gid: Number.isInteger(gid) ? gid : 0 };
    })();
    return this.owner;
  }
}
