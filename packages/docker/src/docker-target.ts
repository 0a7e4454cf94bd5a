import fs from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { COMMAND_NOT_FOUND, tailLines, type ExecOptions, type ExecResult, type Target } from "@alpiq/memray-core";
import createDebug from "debug";
import type Docker from "dockerode";
import tarFs from "tar-fs";
import { ChunkBatcher } from "./chunk-batcher.js";
import { execExitCode, startExec } from "./docker-exec.js";
import { ExecOutput } from "./exec-output.js";
import { CopyFailedError, DockerExecError } from "./errors.js";
import { resolveContainer } from "./resolve-container.js";

const debug = createDebug("memray:docker");

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

/**
 * A running Docker container as a memray-cli Target. Everything goes through the Engine API: commands
 * run with `docker exec` (argv arrays, never a shell), files move as tar streams (never buffered).
 * What the container serves (its Python, app and port) is read by container-inspection.ts.
 */
export class DockerTarget implements Target {
  readonly kind = "docker";
  readonly sharesHostFilesystem = false;
  /** Container name (without the leading slash). */
  readonly name: string;
  readonly id: string;
  readonly container: Docker.Container;
  private owner: Promise<{ uid: number; gid: number }> | undefined;
  /** The scratch dirs this target made: copyIn into one skips the mkdir. */
  private readonly knownDirs = new Set<string>();

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

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const withInput = options.input !== undefined;
    const { exec, stream } = await startExec(this.container, this.name, argv, {
      env: options.env,
      cwd: options.cwd,
      stdin: withInput,
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
      throw new DockerExecError(this.name, argv, { cause: error });
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    let exitCode = await execExitCode(exec, this.name, argv);
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

  async copyIn(hostPath: string, targetDir: string, options: { include?: ReadonlySet<string> } = {}): Promise<void> {
    const source = path.resolve(hostPath);
    try {
      await stat(source);
    } catch (error) {
      throw new CopyFailedError("in", this.name, hostPath, targetDir, { cause: error, hint: "check the host path exists and is readable" });
    }
    const [, { uid, gid }] = await Promise.all([this.mkdirp(targetDir, hostPath), this.fileOwner()]);
    // Files belong to the container's default user, so the workload can write beside them.
    const include = options.include;
    const pack = tarFs.pack(path.dirname(source), {
      entries: [path.basename(source)],
      // tar-fs hands absolute paths; keep the root, the listed files and the directories leading to them.
      ...(include ? { ignore: (name: string) => !keeps(path.relative(path.dirname(source), name), include, path.basename(source)) } : {}),
      map: (header) => ({ ...header, uid, gid, uname: undefined, gname: undefined }) as typeof header,
    });
    debug("copy %s → %s:%s", source, this.name, targetDir);
    try {
      await this.container.putArchive(pack, { path: targetDir });
    } catch (error) {
      pack.destroy();
      throw new CopyFailedError("in", this.name, hostPath, targetDir, { cause: error });
    }
  }

  async copyOut(targetDir: string, hostDir: string): Promise<void> {
    const source = targetDir.replace(/\/+$/, "") || "/";
    try {
      await mkdir(hostDir, { recursive: true });
    } catch (error) {
      throw new CopyFailedError("out", this.name, targetDir, hostDir, { cause: error, hint: "check the host directory is writable" });
    }
    debug("copy %s:%s → %s", this.name, source, hostDir);
    let archive: NodeJS.ReadableStream;
    try {
      // "dir/." makes the engine send the directory's contents as ./..., so they land in hostDir itself.
      archive = await this.container.getArchive({ path: `${source === "/" ? "" : source}/.` });
    } catch (error) {
      const missing = (error as { statusCode?: number }).statusCode === 404;
      throw new CopyFailedError("out", this.name, targetDir, hostDir, {
        cause: error,
        hint: missing ? `check ${targetDir} exists in the container (docker exec ${this.name} ls ${targetDir})` : undefined,
      });
    }
    try {
      // Large batches and write buffers: fewer, bigger writes (writev) while the socket keeps draining.
      await pipeline(
        archive,
        new ChunkBatcher(COPY_BATCH_BYTES),
        tarFs.extract(hostDir, { chown: false, strict: false, fs: bufferedFs } as tarFs.ExtractOptions),
      );
    } catch (error) {
      throw new CopyFailedError("out", this.name, targetDir, hostDir, { cause: error });
    }
  }

  /** OOM kills in the container's memory cgroup (v1 memory.oom_control, v2 memory.events); null when unreadable. */
  async oomKills(): Promise<number | null> {
    for (const file of ["/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events"]) {
      const result = await this.exec(["cat", file]).catch(() => undefined);
      const match = result?.exitCode === 0 ? /^oom_kill (\d+)$/m.exec(result.stdout) : null;
      if (match) return Number(match[1]);
    }
    return null;
  }

  async scratchDir(): Promise<string> {
    const argv = ["mktemp", "-d", "/tmp/memray-cli-XXXXXX"];
    void this.fileOwner(); // a copy into it follows: ask beside mktemp, not after it
    const result = await this.exec(argv);
    const dir = result.stdout.trim();
    if (result.exitCode !== 0 || !dir.startsWith("/")) {
      throw new DockerExecError(this.name, argv, {
        detail: `exit ${result.exitCode}`,
        commandExitCode: result.exitCode,
        stderrTail: tailLines(result.stderr, 5),
        hint: "the container needs mktemp and a writable /tmp",
      });
    }
    this.knownDirs.add(dir);
    return dir;
  }

  private async mkdirp(dir: string, source: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    const result = await this.exec(["mkdir", "-p", "--", dir]);
    if (result.exitCode !== 0) {
      throw new CopyFailedError("in", this.name, source, dir, { detail: tailLines(result.stderr, 5) || `mkdir exited ${result.exitCode}` });
    }
  }

  /** uid/gid of the container's default user (root when `id` is missing). */
  private fileOwner(): Promise<{ uid: number; gid: number }> {
    this.owner ??= (async () => {
      const [result, group] = await Promise.all([this.exec(["id", "-u"]).catch(() => null), this.exec(["id", "-g"]).catch(() => null)]);
      const uid = Number(result?.exitCode === 0 ? result.stdout.trim() : 0);
      const gid = Number(group?.exitCode === 0 ? group.stdout.trim() : 0);
      return { uid: Number.isInteger(uid) ? uid : 0, gid: Number.isInteger(gid) ? gid : 0 };
    })();
    return this.owner;
  }
}

/** Decodes a demuxed stream as UTF-8 (multi-byte characters split across frames stay whole). */

/** Whether a path (relative to the copied path's parent) travels under an include list. */
function keeps(relative: string, include: ReadonlySet<string>, root: string): boolean {
  if (relative === root || include.has(relative)) return true;
  const prefix = `${relative}${path.sep}`;
  for (const entry of include) if (entry.startsWith(prefix)) return true;
  return false;
}
