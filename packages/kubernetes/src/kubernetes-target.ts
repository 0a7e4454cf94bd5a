import { randomBytes } from "node:crypto";
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { COMMAND_NOT_FOUND, tailLines, type ExecOptions, type ExecResult, type Target } from "@alpiq/memray-core";
import type { V1Pod } from "@kubernetes/client-node";
import createDebug from "debug";
import tarFs from "tar-fs";
import { describePod, KubernetesExecError, PodCopyError, type PodLocation } from "./errors.js";
import { ApiStatusError, toApiError, type KubeClient } from "./kube-client.js";
import { execInPod } from "./pod-exec.js";
import type { PodRef } from "./pod-ref.js";
import { resolvePod, type ResolvedPod } from "./resolve-pod.js";

const debug = createDebug("memray:kubernetes");

/** Writes the pid of the command it then becomes into $1 (so a hard stop can kill it: closing an exec does not). */
const RECORD_PID = 'echo $$ > "$1" && shift && exec "$@"';
const CHANGE_DIR = 'cd "$1" && shift && exec "$@"';
const KILL_RECORDED = 'kill -KILL "$(cat "$1")" 2>/dev/null; rm -f "$1"';
/** Python's tarfile in place of tar (images without it): extract stdin into argv[1] / archive argv[1] to stdout. */
const PY_UNTAR = [
  "import sys, tarfile",
  "kw = {'filter': 'tar'} if hasattr(tarfile, 'tar_filter') else {}",
  "with tarfile.open(fileobj=sys.stdin.buffer, mode='r|') as t:",
  "    t.extractall(sys.argv[1], **kw)",
].join("\n");
const PY_TAR = [
  "import sys, tarfile",
  "with tarfile.open(fileobj=sys.stdout.buffer, mode='w|') as t:",
  "    t.add(sys.argv[1], arcname='.')",
].join("\n");

export interface KubernetesTargetConnectOptions {
  client: KubeClient;
  /** `pod/NAME`, `deploy/NAME` (one Ready pod of it) or a label selector (one Ready pod). */
  ref: PodRef;
  /** Default: the client's namespace. */
  namespace?: string | undefined;
  /** Default: kubectl's default-container annotation, else the pod's first container. */
  container?: string | undefined;
  /** How files travel: `tar` in the container, or the container's Python `tarfile`; default: tar when the container has it. */
  copyTool?: "tar" | "python" | undefined;
}

/**
 * A container of a Running, Ready pod as a memray-cli Target. Everything goes through the Kubernetes
 * API: commands run with the API's exec (argv, never a shell string; the exit code from the status
 * channel), files move as tar streams over exec like `kubectl cp` (never buffered whole; Python's
 * tarfile where the image has no tar), ports are reached with the API's port-forward
 * (forward-pod-port.ts). Pod IP addresses are never used.
 */
export class KubernetesTarget implements Target {
  readonly kind = "kubernetes";
  readonly sharesHostFilesystem = false;
  /** `namespace/pod`. */
  readonly name: string;
  readonly namespace: string;
  readonly podName: string;
  readonly container: string;
  /** The pod as it was when resolved. */
  readonly pod: V1Pod;
  readonly owner: ResolvedPod["owner"];
  /** Interpreter for the tar fallback (set it once the service's Python is known; default python3). */
  python: string | undefined;
  private copyTool: Promise<"tar" | "python"> | undefined;

  /** Resolve one Ready pod (see resolvePod) and wrap it. */
  static async connect(options: KubernetesTargetConnectOptions): Promise<KubernetesTarget> {
    return new KubernetesTarget(options.client, await resolvePod(options), { copyTool: options.copyTool });
  }

  constructor(
    readonly client: KubeClient,
    resolved: Pick<ResolvedPod, "pod" | "namespace" | "container" | "owner">,
    options: { copyTool?: "tar" | "python" | undefined } = {},
  ) {
    if (options.copyTool) this.copyTool = Promise.resolve(options.copyTool);
    this.pod = resolved.pod;
    this.namespace = resolved.namespace;
    this.podName = resolved.pod.metadata?.name ?? "";
    this.container = resolved.container;
    this.owner = resolved.owner;
    this.name = `${this.namespace}/${this.podName}`;
  }

  get location(): PodLocation {
    return { namespace: this.namespace, pod: this.podName, container: this.container };
  }

  /** The container's spec in the pod. */
  get containerSpec() {
    return this.pod.spec?.containers.find((container) => container.name === this.container);
  }

  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    let command = [...argv];
    const env = Object.entries(options.env ?? {});
    if (env.length > 0) {
      for (const [key] of env) {
        if (!key || key.includes("=") || key.includes("\0")) {
          throw new KubernetesExecError(this.location, argv, {
            detail: `invalid environment variable name ${JSON.stringify(key)}`,
            hint: "environment variable names must be non-empty and contain no '=' or NUL",
          });
        }
      }
      if (command[0]?.includes("=")) throw new KubernetesExecError(this.location, argv, { detail: "a program name with '=' cannot be run with an environment" });
      // The exec API takes no environment: env(1) sets it and becomes the program.
      command = ["env", ...env.map(([key, value]) => `${key}=${value}`), ...command];
    }
    if (options.cwd) command = ["sh", "-c", CHANGE_DIR, "sh", options.cwd, ...command];
    let pidFile: string | undefined;
    if (options.signal) {
      pidFile = `/tmp/memray-cli-exec-${randomBytes(6).toString("hex")}.pid`;
      command = ["sh", "-c", RECORD_PID, "sh", pidFile, ...command];
    }
    const keep = options.buffer !== false;
    const out = { stdout: "", stderr: "" };
    const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
    const take = (stream: "stdout" | "stderr", callback: ExecOptions["onStdout"]) => async (chunk: Buffer) => {
      const text = decoders[stream].write(chunk);
      if (!text) return;
      if (keep) out[stream] += text;
      await callback?.(text);
    };
    let result;
    try {
      result = await execInPod(this.client, this.location, command, {
        stdin: options.input,
        onStdout: take("stdout", options.onStdout),
        onStderr: take("stderr", options.onStderr),
        signal: options.signal,
        onAbort: pidFile ? () => this.exec(["sh", "-c", KILL_RECORDED, "sh", pidFile]).then(() => undefined) : undefined,
      });
    } catch (error) {
      if (error instanceof KubernetesExecError) {
        const lost = await this.lostReason().catch(() => null);
        if (lost) throw new KubernetesExecError(this.location, argv, { detail: lost, cause: error });
      }
      throw error;
    } finally {
      if (pidFile && !options.signal?.aborted) void this.exec(["rm", "-f", pidFile]).catch(() => undefined);
    }
    for (const stream of ["stdout", "stderr"] as const) {
      const rest = decoders[stream].end();
      if (rest) {
        if (keep) out[stream] += rest;
        await (stream === "stdout" ? options.onStdout : options.onStderr)?.(rest);
      }
    }
    let { stdout, stderr } = out;
    let exitCode = result.exitCode;
    if (result.notFoundMessage) {
      // The API could not start the program: report it like a shell would.
      stderr = `${command[0]}: command not found (${result.notFoundMessage})\n${stderr}`;
      stdout = "";
      exitCode = COMMAND_NOT_FOUND;
    }
    debug("exec in %s exited %d: %o", this.name, exitCode, argv);
    return { exitCode, exitSignal: result.exitSignal, stdout, stderr };
  }

  async copyIn(hostPath: string, targetDir: string, options: { include?: ReadonlySet<string> } = {}): Promise<void> {
    const source = path.resolve(hostPath);
    try {
      await stat(source);
    } catch (error) {
      throw new PodCopyError("in", this.location, hostPath, targetDir, { cause: error, hint: "check the host path exists and is readable" });
    }
    const mkdirp = await this.exec(["mkdir", "-p", "--", targetDir]);
    if (mkdirp.exitCode !== 0) throw new PodCopyError("in", this.location, hostPath, targetDir, { detail: tailLines(mkdirp.stderr, 5) || `mkdir exited ${mkdirp.exitCode}` });
    const include = options.include;
    const root = path.basename(source);
    const pack = tarFs.pack(path.dirname(source), {
      entries: [root],
      ...(include ? { ignore: (name: string) => !keeps(path.relative(path.dirname(source), name), include, root) } : {}),
      // Files belong to whoever runs the exec in the container (tar --no-same-owner), not to the host's user.
      map: (header) => ({ ...header, uid: 0, gid: 0, uname: undefined, gname: undefined }) as typeof header,
    });
    const argv = (await this.copyToolOf()) === "tar" ? ["tar", "-x", "-f", "-", "-C", targetDir, "--no-same-owner"] : [this.python ?? "python3", "-c", PY_UNTAR, targetDir];
    debug("copy %s → %s:%s (%s)", source, this.name, targetDir, argv[0]);
    let result: ExecResult;
    try {
      result = await this.execStreaming(argv, { stdin: pack });
    } catch (error) {
      pack.destroy();
      throw new PodCopyError("in", this.location, hostPath, targetDir, { cause: error });
    }
    if (result.exitCode !== 0) {
      throw new PodCopyError("in", this.location, hostPath, targetDir, { detail: `${argv[0]} exited ${result.exitCode}${result.stderr.trim() ? `: ${tailLines(result.stderr, 5)}` : ""}` });
    }
  }

  async copyOut(targetDir: string, hostDir: string): Promise<void> {
    const source = targetDir.replace(/\/+$/, "") || "/";
    try {
      await mkdir(hostDir, { recursive: true });
    } catch (error) {
      throw new PodCopyError("out", this.location, targetDir, hostDir, { cause: error, hint: "check the host directory is writable" });
    }
    const argv = (await this.copyToolOf()) === "tar" ? ["tar", "-c", "-f", "-", "-C", source, "."] : [this.python ?? "python3", "-c", PY_TAR, source];
    debug("copy %s:%s → %s (%s)", this.name, source, hostDir, argv[0]);
    const extract = tarFs.extract(hostDir, { chown: false, strict: false } as tarFs.ExtractOptions);
    const extracted = new Promise<void>((resolve, reject) => {
      extract.once("finish", resolve);
      extract.once("error", reject);
    });
    extracted.catch(() => undefined); // awaited below; an early failure must not be unhandled
    let result: ExecResult;
    try {
      result = await this.execStreaming(argv, {
        onStdout: (chunk) => {
          if (extract.destroyed) throw new Error("the tar stream could not be extracted");
          // The extractor's buffer is the backpressure: the socket is paused until it drains.
          if (!extract.write(chunk)) return new Promise<void>((resolve) => extract.once("drain", resolve));
        },
      });
      extract.end();
      if (result.exitCode === 0) await extracted;
    } catch (error) {
      extract.destroy();
      throw new PodCopyError("out", this.location, targetDir, hostDir, { cause: error });
    }
    if (result.exitCode !== 0) {
      const missing = /No such file|Cannot open|cannot stat|FileNotFoundError/i.test(result.stderr);
      throw new PodCopyError("out", this.location, targetDir, hostDir, {
        detail: `${argv[0]} exited ${result.exitCode}${result.stderr.trim() ? `: ${tailLines(result.stderr, 5)}` : ""}`,
        hint: missing ? `check ${targetDir} exists in the pod (kubectl exec -n ${this.namespace} ${this.podName} -- ls ${targetDir})` : undefined,
      });
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

  /**
   * Why the pod is no longer the one profiled: deleted, being deleted, replaced by another of the same
   * name, or its container restarted (its processes and /tmp are gone). Null while it is unchanged.
   */
  async lostReason(): Promise<string | null> {
    let now: V1Pod;
    try {
      now = await this.client.core.readNamespacedPod({ name: this.podName, namespace: this.namespace });
    } catch (error) {
      const typed = toApiError(error, { server: this.client.server, context: this.client.context, verb: "get", resource: "pods", namespace: this.namespace });
      if (typed instanceof ApiStatusError && typed.statusCode === 404) return `pod ${this.name} was deleted during the run`;
      throw typed;
    }
    if (now.metadata?.uid !== this.pod.metadata?.uid) return `pod ${this.name} was deleted and replaced during the run`;
    if (now.metadata?.deletionTimestamp) return `pod ${this.name} is being deleted (since ${new Date(now.metadata.deletionTimestamp).toISOString()})`;
    const before = this.pod.status?.containerStatuses?.find((status) => status.name === this.container);
    const after = now.status?.containerStatuses?.find((status) => status.name === this.container);
    if (after && before && (after.restartCount > before.restartCount || (after.containerID && after.containerID !== before.containerID))) {
      const why = after.lastState?.terminated?.reason;
      return `container ${this.container} of pod ${this.name} restarted during the run${why ? ` (${why})` : ""}`;
    }
    return null;
  }

  async scratchDir(): Promise<string> {
    const argv = ["mktemp", "-d", "/tmp/memray-cli-XXXXXX"];
    const result = await this.exec(argv);
    const dir = result.stdout.trim();
    if (result.exitCode !== 0 || !dir.startsWith("/")) {
      throw new KubernetesExecError(this.location, argv, {
        detail: `exit ${result.exitCode}`,
        commandExitCode: result.exitCode,
        stderrTail: tailLines(result.stderr, 5),
        hint: "the container needs mktemp and a writable /tmp",
      });
    }
    return dir;
  }

  /** `pod/NAME -n NAMESPACE [-c CONTAINER]`: how kubectl and memray-cli's --target name this pod. */
  describe(): string {
    const many = (this.pod.spec?.containers.length ?? 1) > 1;
    return `pod/${this.podName} -n ${this.namespace}${many ? ` (container ${this.container})` : ""}`;
  }

  toString(): string {
    return describePod(this.location);
  }

  /** Binary exec for the tar streams (no decoding, nothing kept but stderr). */
  private async execStreaming(argv: string[], options: { stdin?: NodeJS.ReadableStream; onStdout?: (chunk: Buffer) => void | Promise<void> }): Promise<ExecResult> {
    let stderr = "";
    const result = await execInPod(this.client, this.location, argv, {
      stdin: options.stdin as never,
      onStdout: options.onStdout,
      onStderr: (chunk) => {
        if (stderr.length < 64 * 1024) stderr += chunk.toString("utf8");
      },
    });
    if (result.notFoundMessage) return { exitCode: COMMAND_NOT_FOUND, stdout: "", stderr: `${argv[0]}: command not found\n${stderr}` };
    return { exitCode: result.exitCode, stdout: "", stderr };
  }

  /** tar when the container has it (checked once), else the Python's tarfile. */
  private copyToolOf(): Promise<"tar" | "python"> {
    this.copyTool ??= this.exec(["tar", "--version"]).then(
      (result) => (result.exitCode === 0 ? "tar" : "python"),
      () => "python" as const,
    );
    return this.copyTool;
  }
}

/** Whether a path (relative to the copied path's parent) travels under an include list. */
function keeps(relative: string, include: ReadonlySet<string>, root: string): boolean {
  if (relative === root || include.has(relative)) return true;
  const prefix = `${relative}${path.sep}`;
  for (const entry of include) if (entry.startsWith(prefix)) return true;
  return false;
}
