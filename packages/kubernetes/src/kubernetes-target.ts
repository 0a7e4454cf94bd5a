import { randomBytes } from "node:crypto";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import {
  ArchiveSourceMissingError,
  COMMAND_NOT_FOUND,
  TargetBase,
  TargetExecError,
  tailLines,
  type ExecOptions,
  type ExecResult,
  type ForwardPortOptions,
  type PortForward,
  type TargetPlace,
} from "@alpiq/memray-core";
import type { V1Pod } from "@kubernetes/client-node";
import createDebug from "debug";
import { describePod, podPlace, type PodLocation } from "./errors.js";
import { forwardPodPort } from "./forward-pod-port.js";
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
const PY_TAR = ["import sys, tarfile", "with tarfile.open(fileobj=sys.stdout.buffer, mode='w|') as t:", "    t.add(sys.argv[1], arcname='.')"].join("\n");

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
export class KubernetesTarget extends TargetBase {
  readonly kind = "kubernetes";
  readonly holdsStdin = true;
  readonly place: TargetPlace;
  /** `namespace/pod`. */
  readonly name: string;
  readonly namespace: string;
  readonly podName: string;
  readonly container: string;
  /** The pod as it was when resolved. */
  readonly pod: V1Pod;
  readonly owner: ResolvedPod["owner"];
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
    super();
    if (options.copyTool) this.copyTool = Promise.resolve(options.copyTool);
    this.pod = resolved.pod;
    this.namespace = resolved.namespace;
    this.podName = resolved.pod.metadata?.name ?? "";
    this.container = resolved.container;
    this.owner = resolved.owner;
    this.name = `${this.namespace}/${this.podName}`;
    this.place = podPlace(this.location);
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
          throw new TargetExecError(this.place, argv, {
            detail: `invalid environment variable name ${JSON.stringify(key)}`,
            hint: "environment variable names must be non-empty and contain no '=' or NUL",
          });
        }
      }
      if (command[0]?.includes("=")) throw new TargetExecError(this.place, argv, { detail: "a program name with '=' cannot be run with an environment" });
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
    // A held stdin is a stream never written: it ends with the exec, or (the WebSocket gone) with this process.
    const held = options.holdStdin && options.input === undefined ? new PassThrough() : undefined;
    let result;
    try {
      result = await execInPod(this.client, this.location, command, {
        stdin: options.input ?? held,
        onStdout: take("stdout", options.onStdout),
        onStderr: take("stderr", options.onStderr),
        signal: options.signal,
        onAbort: pidFile ? () => this.exec(["sh", "-c", KILL_RECORDED, "sh", pidFile]).then(() => undefined) : undefined,
      });
    } catch (error) {
      if (error instanceof TargetExecError) {
        const lost = await this.lostReason().catch(() => null);
        if (lost) throw new TargetExecError(this.place, argv, { detail: lost, cause: error });
      }
      throw error;
    } finally {
      held?.destroy();
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

  /** A port of the pod on 127.0.0.1, through the API's port-forward. */
  override forwardPort(targetPort: number, options: ForwardPortOptions = {}): Promise<PortForward> {
    return forwardPodPort({ ...options, client: this.client, pod: this.location, podPort: targetPort });
  }

  /** Extract with tar in the container (files belong to whoever runs the exec: --no-same-owner), else its Python's tarfile. */
  protected async writeArchive(archive: Readable, targetDir: string): Promise<void> {
    const argv =
      (await this.copyToolOf()) === "tar"
        ? ["tar", "-x", "-f", "-", "-C", targetDir, "--no-same-owner"]
        : [this.python ?? "python3", "-c", PY_UNTAR, targetDir];
    const result = await this.execStreaming(argv, { stdin: archive });
    if (result.exitCode !== 0) throw new Error(`${argv[0]} exited ${result.exitCode}${result.stderr.trim() ? `: ${tailLines(result.stderr, 5)}` : ""}`);
  }

  protected async readArchive(sourceDir: string, sink: Writable): Promise<void> {
    const argv = (await this.copyToolOf()) === "tar" ? ["tar", "-c", "-f", "-", "-C", sourceDir, "."] : [this.python ?? "python3", "-c", PY_TAR, sourceDir];
    const result = await this.execStreaming(argv, {
      onStdout: (chunk) => {
        if (sink.destroyed) throw new Error("the tar stream could not be extracted");
        // The extractor's buffer is the backpressure: the socket is paused until it drains.
        if (!sink.write(chunk)) return new Promise<void>((resolve) => sink.once("drain", resolve));
      },
    });
    if (result.exitCode !== 0) {
      const detail = `${argv[0]} exited ${result.exitCode}${result.stderr.trim() ? `: ${tailLines(result.stderr, 5)}` : ""}`;
      throw /No such file|Cannot open|cannot stat|FileNotFoundError/i.test(result.stderr) ? new ArchiveSourceMissingError(detail) : new Error(detail);
    }
    sink.end();
  }

  /**
   * Why the pod is no longer the one profiled: deleted, being deleted, replaced by another of the same
   * name, or its container restarted (its processes and /tmp are gone). Null while it is unchanged.
   */
  override async lostReason(): Promise<string | null> {
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

  /** `pod/NAME -n NAMESPACE [-c CONTAINER]`: how kubectl and memray-cli's --target name this pod. */
  describe(): string {
    const many = (this.pod.spec?.containers.length ?? 1) > 1;
    return `pod/${this.podName} -n ${this.namespace}${many ? ` (container ${this.container})` : ""}`;
  }

  override toString(): string {
    return describePod(this.location);
  }

  /** Binary exec for the tar streams (no decoding, nothing kept but stderr). */
  private async execStreaming(
    argv: string[],
    options: { stdin?: NodeJS.ReadableStream; onStdout?: (chunk: Buffer) => void | Promise<void> },
  ): Promise<ExecResult> {
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
