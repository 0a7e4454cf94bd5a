import type net from "node:net";
import { forwardLoopback, type ForwardPortOptions, type PortForward } from "@alpiq/memray-core";
import createDebug from "debug";
import type WebSocket from "ws";
import { Channel, frame, openChannelSocket, PORT_FORWARD_PROTOCOLS } from "./channel-socket.js";
import { podPlace, type PodLocation } from "./errors.js";
import type { KubeClient } from "./kube-client.js";

const debug = createDebug("memray:kubernetes");

/** Bytes queued in a WebSocket before the host-side socket is paused. */
const HIGH_WATER = 1024 * 1024;

export interface ForwardPodPortOptions extends ForwardPortOptions {
  client: KubeClient;
  pod: Pick<PodLocation, "namespace" | "pod">;
  /** Port the service listens on in the pod (on its loopback or all interfaces). */
  podPort: number;
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

/**
 * `kubectl port-forward` with the API's port-forward (a WebSocket per connection, as kubectl does it
 * over SPDY): 127.0.0.1:hostPort carried to the pod's port through the API server and the kubelet,
 * on core's loopback skeleton. Pod IPs are never used. Backpressure both ways: a slow reader pauses
 * the other side.
 */
export function forwardPodPort(options: ForwardPodPortOptions): Promise<PortForward> {
  const { client, pod, podPort, ...forward } = options;
  const apiPath = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.pod)}/portforward?ports=${podPort}`;
  const open = (handlers: ChannelHandlers) =>
    openChannelSocket(client, apiPath, PORT_FORWARD_PROTOCOLS, { verb: "create", resource: "pods/portforward", namespace: pod.namespace }, handlers);
  return forwardLoopback({
    ...forward,
    place: podPlace(pod),
    targetPort: podPort,
    carry(socket, report) {
      const connection = new ForwardedConnection(socket, open, report, options.retrySeconds ?? DEFAULT_RETRY_SECONDS);
      socket.on("close", () => connection.close());
      connection.connect();
      return connection;
    },
  });
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
