import type { Readable } from "node:stream";
import createDebug from "debug";
import type WebSocket from "ws";
import { Channel, EXEC_PROTOCOLS, frame, openChannelSocket } from "./channel-socket.js";
import { TargetExecError } from "@alpiq/memray-core";
import { podPlace, type PodLocation } from "./errors.js";
import { ApiStatusError, parseStatusBody, type KubeClient } from "./kube-client.js";

const debug = createDebug("memray:kubernetes");

/** Exit code a shell gives a program it cannot find; the API reports it as an InternalError. */
export const COMMAND_NOT_FOUND_EXIT = 127;
const NOT_FOUND = /executable file not found|no such file or directory/i;
/** Messages parsed but not yet consumed before the socket is paused (bounded memory for slow consumers). */
const MAX_QUEUED_MESSAGES = 8;

export interface PodExecOptions {
  /** Standard input: a string, or a stream sent with backpressure; then closed (needs v5.channel.k8s.io). */
  stdin?: string | Readable | undefined;
  /** Raw output chunks; a returned promise pauses the socket until it settles (backpressure). */
  onStdout?: ((chunk: Buffer) => void | Promise<void>) | undefined;
  onStderr?: ((chunk: Buffer) => void | Promise<void>) | undefined;
  /** Ends the exec: `onAbort` runs (kill the process in the pod), then the socket is closed. */
  signal?: AbortSignal | undefined;
  onAbort?: (() => Promise<void>) | undefined;
}

export interface PodExecResult {
  exitCode: number;
  exitSignal?: string | undefined;
  /** Set when the API could not start the program (exit code 127). */
  notFoundMessage?: string | undefined;
}

/**
 * Run argv in a pod's container through the API's exec (WebSocket, channel protocol v5/v4): no shell,
 * the exit code from the status channel, output handed over chunk by chunk with backpressure, stdin
 * streamed and closed. A program the container does not have exits 127 like in a shell. Throws
 * core's TargetExecError when the exec cannot start (the pod is gone: its ApiStatusError is the cause) or
 * ends without an exit status; KubernetesForbiddenError when `pods/exec` is not allowed.
 */
export async function execInPod(client: KubeClient, location: PodLocation, argv: readonly string[], options: PodExecOptions = {}): Promise<PodExecResult> {
  if (argv.length === 0 || argv[0] === "")
    throw new TargetExecError(podPlace(location), argv, { detail: "exec needs a command", hint: "pass a non-empty argv" });
  const query = new URLSearchParams({ stdout: "true", stderr: "true", stdin: options.stdin !== undefined ? "true" : "false", tty: "false" });
  if (location.container) query.set("container", location.container);
  for (const arg of argv) query.append("command", arg);
  const apiPath = `/api/v1/namespaces/${encodeURIComponent(location.namespace)}/pods/${encodeURIComponent(location.pod)}/exec?${query}`;
  let socket: WebSocket | undefined;
  let result: PodExecResult | undefined;
  let failure: Error | undefined;
  let queued = 0;
  let queue = Promise.resolve();
  const deliver = (handler: PodExecOptions["onStdout"], payload: Buffer) => {
    queued++;
    if (queued >= MAX_QUEUED_MESSAGES) socket?.pause();
    queue = queue
      .then(() => handler?.(payload))
      .catch((error: unknown) => {
        failure ??= error as Error; // the consumer failed (disk full): stop reading
        socket?.terminate();
      })
      .finally(() => {
        queued--;
        if (queued < MAX_QUEUED_MESSAGES / 2 && socket?.isPaused) socket.resume();
      });
  };
  let closed: { code: number; reason: Buffer } | undefined;
  let whenClosed: (() => void) | undefined;
  const onClose = (code: number, reason: Buffer) => {
    closed = { code, reason };
    whenClosed?.();
  };
  const onMessage = (message: Buffer) => {
    if (message.length === 0) return;
    const channel = message[0];
    const payload = message.subarray(1);
    if (channel === Channel.stdout) {
      if (payload.length) deliver(options.onStdout, payload);
    } else if (channel === Channel.stderr) {
      if (payload.length) deliver(options.onStderr, payload);
    } else if (channel === Channel.status) {
      try {
        result = exitOf(payload.toString("utf8"));
      } catch (error) {
        failure ??= new TargetExecError(podPlace(location), argv, { detail: (error as Error).message });
      }
    }
  };
  try {
    socket = await openChannelSocket(
      client,
      apiPath,
      EXEC_PROTOCOLS,
      { verb: "create", resource: "pods/exec", namespace: location.namespace },
      { onMessage, onClose },
    );
  } catch (error) {
    if (error instanceof ApiStatusError) throw new TargetExecError(podPlace(location), argv, { cause: error, detail: error.message });
    throw error;
  }
  const ws = socket;
  debug("exec in %s/%s [%s] (%s): %o", location.namespace, location.pod, location.container ?? "", ws.protocol, argv);
  return new Promise<PodExecResult>((resolve, reject) => {
    let aborted = false;
    ws.on("error", (error) => {
      debug("exec socket error: %s", error.message);
      failure ??= new TargetExecError(podPlace(location), argv, { cause: error, detail: `the connection failed: ${error.message}` });
    });
    whenClosed = () => {
      const { code, reason } = closed!;
      options.signal?.removeEventListener("abort", onAbort);
      void queue.then(() => {
        if (failure && !(aborted && result)) return reject(failure);
        if (result) return resolve(result);
        if (aborted) return resolve({ exitCode: 137, exitSignal: "SIGKILL" });
        reject(
          new TargetExecError(podPlace(location), argv, {
            detail: `the connection closed before the command's exit status arrived (WebSocket close ${code}${reason.length ? ` ${reason.toString()}` : ""})`,
          }),
        );
      });
    };
    if (closed) whenClosed();
    const onAbort = () => {
      if (aborted) return;
      aborted = true;
      debug("aborting exec %o in %s", argv, location.pod);
      void (options.onAbort?.() ?? Promise.resolve())
        .catch((error: unknown) => debug("could not stop the exec'd process: %O", error))
        .finally(() => setTimeout(() => ws.terminate(), 2000).unref());
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.stdin !== undefined) {
      sendStdin(ws, options.stdin).catch((error: unknown) => {
        failure ??= new TargetExecError(podPlace(location), argv, { cause: error, detail: `sending standard input failed: ${(error as Error).message}` });
        ws.terminate();
      });
    }
  });
}

/** Stream stdin with backpressure (each message waits until the socket took it), then close it (v5). */
async function sendStdin(socket: WebSocket, stdin: string | Readable): Promise<void> {
  const send = (data: Buffer) =>
    new Promise<void>((resolve, reject) => {
      socket.send(data, { binary: true }, (error) => (error ? reject(error) : resolve()));
    });
  if (typeof stdin === "string") {
    if (stdin.length) await send(frame(Channel.stdin, Buffer.from(stdin, "utf8")));
  } else {
    for await (const chunk of stdin) {
      if (socket.readyState !== socket.OPEN) {
        stdin.destroy();
        throw new Error("the exec ended before its input was sent");
      }
      await send(frame(Channel.stdin, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string)));
    }
  }
  if (socket.protocol !== "v5.channel.k8s.io") {
    throw new Error(
      `the API server speaks ${socket.protocol || "an old protocol"}, which cannot close standard input (v5.channel.k8s.io, Kubernetes >= 1.30, is needed)`,
    );
  }
  await send(Buffer.from([Channel.close, Channel.stdin]));
}

/** The exit code in the status channel's Status object (Success → 0; NonZeroExitCode → its cause). */
export function exitOf(text: string): PodExecResult {
  const status = JSON.parse(text) as { status?: string; reason?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } };
  if (status.status === "Success") return { exitCode: 0 };
  if (status.reason === "NonZeroExitCode") {
    const cause = status.details?.causes?.find((candidate) => candidate.reason === "ExitCode");
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return { exitCode: code };
  }
  const { message } = parseStatusBody(status);
  if (NOT_FOUND.test(message)) return { exitCode: COMMAND_NOT_FOUND_EXIT, notFoundMessage: message };
  throw new Error(message || `unexpected exec status ${text.slice(0, 300)}`);
}
