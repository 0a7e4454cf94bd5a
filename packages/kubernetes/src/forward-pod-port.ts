import net from "node:net";
import { listenOnLoopback } from "@alpiq/memray-core";
import createDebug from "debug";
import type WebSocket from "ws";
import { Channel, frame, openChannelSocket, PORT_FORWARD_PROTOCOLS } from "./channel-socket.js";
import { PodPortForwardError, type PodLocation } from "./errors.js";
import type { KubeClient } from "./kube-client.js";

const debug = createDebug("memray:kubernetes");

/** Bytes queued in a WebSocket before the host-side socket is paused. */
const HIGH_WATER = 1024 * 1024;

export interface ForwardPodPortOptions {
  client: KubeClient;
  pod: Pick<PodLocation, "namespace" | "pod">;
  /** Port the service listens on in the pod (on its loopback or all interfaces). */
  podPort: number;
  /** Port on host 127.0.0.1; 0 or omitted picks a free one. */
  hostPort?: number | undefined;
  /** When `hostPort` is taken: "fail" (default) throws; "any" listens on a free port and reports the wanted one in `takenHostPort`. */
  ifTaken?: "fail" | "any";
  /** Failures of single connections (nothing listens in the pod, the API refused); never thrown. */
  onError?: (error: Error) => void;
  /**
   * How long a connection the pod refuses (nothing listens yet) is retried before it fails, while the
   * pod has sent nothing on it (default 10 s): a live server that starts listening a moment later is
   * reached, the client's first bytes are replayed.
   */
  retrySeconds?: number;
}

const DEFAULT_RETRY_SECONDS = 10;
const RETRY_DELAY_MS = 250;
/** Bytes of a client's first data kept for a replay (a request, not a stream). */
const REPLAY_LIMIT = 4 * 1024 * 1024;

export interface PodPortForward {
  readonly hostPort: number;
  readonly takenHostPort?: number | undefined;
  readonly containerPort: number;
  /** Stop listening and drop every open connection. */
  close(): Promise<void>;
}

/**
 * `kubectl port-forward` with the API's port-forward (a WebSocket per connection, as kubectl does it
 * over SPDY): listen on 127.0.0.1:hostPort and carry each connection to the pod's port through the API
 * server and the kubelet. Pod IPs are never used. Backpressure both ways: a slow reader pauses the
 * other side.
 */
export async function forwardPodPort(options: ForwardPodPortOptions): Promise<PodPortForward> {
  const { client, pod, podPort } = options;
  const location = { namespace: pod.namespace, pod: pod.pod };
  const open = new Set<ForwardedConnection>();
  let hostPort = options.hostPort ?? 0;
  const report = (error: Error) => {
    debug("forward %s/%s:%d: %s", pod.namespace, pod.pod, podPort, error.message);
    options.onError?.(error);
  };
  const apiPath = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.pod)}/portforward?ports=${podPort}`;

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
    const connection = new ForwardedConnection(
      socket,
      (handlers) => openChannelSocket(client, apiPath, PORT_FORWARD_PROTOCOLS, { verb: "create", resource: "pods/portforward", namespace: pod.namespace }, handlers),
      (error) => report(error instanceof PodPortForwardError ? error : new PodPortForwardError("connect", hostPort, podPort, location, typeof error === "string" ? { detail: error } : { cause: error })),
      options.retrySeconds ?? DEFAULT_RETRY_SECONDS,
    );
    open.add(connection);
    socket.on("close", () => {
      connection.close();
      open.delete(connection);
    });
    connection.connect();
  });

  const wanted = hostPort;
  hostPort = await listenOnLoopback(server, wanted, {
    ifTaken: options.ifTaken,
    wrapError: (error, port) => new PodPortForwardError("listen", port, podPort, location, { cause: error }),
  });
  const takenHostPort = wanted > 0 && hostPort !== wanted ? wanted : undefined;
  server.on("error", (error) => report(new PodPortForwardError("connect", hostPort, podPort, location, { cause: error })));
  debug("forwarding 127.0.0.1:%d → pod %s/%s:%d", hostPort, pod.namespace, pod.pod, podPort);
  return {
    hostPort,
    takenHostPort,
    containerPort: podPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of open) connection.destroy();
        open.clear();
        server.close(() => resolve());
      }),
  };
}

type ChannelHandlers = { onMessage(data: Buffer): void; onClose?(code: number, reason: Buffer): void };

/**
 * One host connection carried through port-forward WebSockets: channel 0 carries the data, channel 1
 * the API's error text; each channel's stream starts with the 2-byte port number, which is dropped.
 * While the pod has sent nothing, a refusal (nothing listens yet) opens a new WebSocket and replays the
 * client's bytes, until `retrySeconds` have passed.
 */
class ForwardedConnection {
  private ws: WebSocket | undefined;
  private replay: Buffer[] | null = [];
  private replayBytes = 0;
  private answered = false;
  private closed = false;
  private readonly deadline: number;

  constructor(
    private readonly socket: net.Socket,
    private readonly open: (handlers: ChannelHandlers) => Promise<WebSocket>,
    private readonly onError: (error: unknown) => void,
    retrySeconds: number,
  ) {
    this.deadline = Date.now() + retrySeconds * 1000;
    socket.on("error", (error) => debug("client socket: %s", error.message));
    socket.on("data", (chunk: Buffer) => {
      if (this.replay) {
        this.replayBytes += chunk.length;
        if (this.replayBytes > REPLAY_LIMIT) this.replay = null;
        else this.replay.push(chunk);
      }
      const ws = this.ws;
      if (!ws || ws.readyState !== ws.OPEN) return;
      ws.send(frame(Channel.stdin, chunk), { binary: true }, () => {
        if (socket.isPaused() && ws.bufferedAmount < HIGH_WATER / 4) socket.resume();
      });
      if (ws.bufferedAmount > HIGH_WATER) socket.pause();
    });
    // The protocol has no half-close: the pod side's answer still comes back after the client's FIN.
    socket.on("end", () => debug("client finished sending"));
  }

  connect(): void {
    if (this.closed) return;
    const headerLeft: Record<number, number> = { 0: 2, 1: 2 };
    let errorText = "";
    let superseded = false;
    let ws: WebSocket | undefined;
    const handlers: ChannelHandlers = {
      onMessage: (data) => {
        if (superseded || data.length === 0) return;
        const channel = data[0]!;
        let payload = data.subarray(1);
        const skip = Math.min(headerLeft[channel] ?? 0, payload.length);
        if (skip) {
          headerLeft[channel] = (headerLeft[channel] ?? 0) - skip;
          payload = payload.subarray(skip);
        }
        if (payload.length === 0) return;
        if (channel === 0) {
          this.answered = true;
          this.replay = null;
          if (!this.socket.write(payload)) {
            ws?.pause();
            this.socket.once("drain", () => ws?.resume());
          }
        } else if (channel === 1) {
          errorText += payload.toString("utf8");
          superseded = true;
          ws?.close();
          if (!this.answered && this.replay && Date.now() < this.deadline && !this.closed) {
            debug("the pod refused the connection (%s); retrying", errorText.trim().split("\n")[0]);
            setTimeout(() => this.connect(), RETRY_DELAY_MS).unref();
            return;
          }
          // The API could not reach the port in the pod (nothing listens): fail this connection.
          this.onError(errorText.trim());
          this.socket.destroy();
        }
      },
      onClose: () => {
        if (!superseded) this.socket.end();
      },
    };
    this.open(handlers).then(
      (socketToPod) => {
        ws = socketToPod;
        if (this.closed || superseded) return socketToPod.close();
        this.ws = socketToPod;
        socketToPod.on("error", (error) => {
          debug("port-forward socket: %s", error.message);
          this.socket.destroy();
        });
        for (const chunk of this.replay ?? []) socketToPod.send(frame(Channel.stdin, chunk), { binary: true });
        this.socket.resume();
      },
      (error: unknown) => {
        this.onError(error);
        this.socket.destroy();
      },
    );
  }

  /** The client went away: close the WebSocket. */
  close(): void {
    this.closed = true;
    this.ws?.close();
  }

  destroy(): void {
    this.closed = true;
    this.ws?.terminate();
    this.socket.destroy();
  }
}
