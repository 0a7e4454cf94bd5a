import net from "node:net";
import createDebug from "debug";
import { MemrayError } from "../errors.js";
import { listenOnLoopback } from "./listen-loopback.js";
import type { ForwardPortOptions, PortForward, TargetPlace } from "./target.js";
import { PortForwardError } from "./target-errors.js";

const debug = createDebug("memray:target");

/** One host connection carried to the target's port by a runtime (an exec'd relay, a WebSocket). */
export interface ForwardedConnection {
  /** Drop it at once (the forward is closing). */
  destroy(): void;
}

export interface LoopbackForwardOptions extends ForwardPortOptions {
  place: TargetPlace;
  targetPort: number;
  /**
   * Carry one accepted socket (paused) to the target's port; `report` records a failure of this
   * connection. Called once per connection.
   */
  carry(socket: net.Socket, report: (error: unknown) => void): ForwardedConnection;
}

/**
 * What every runtime's port forward shares: listen on 127.0.0.1:hostPort (a taken port swapped for a
 * free one with `ifTaken: "any"`), hand each connection to the runtime, and close everything on
 * close(). Target addresses are never used: the runtime reaches the port from inside the target.
 */
export async function forwardLoopback(options: LoopbackForwardOptions): Promise<PortForward> {
  const { place, targetPort } = options;
  const open = new Set<ForwardedConnection>();
  let hostPort = options.hostPort ?? 0;
  const report = (error: unknown) => {
    const typed =
      error instanceof MemrayError
        ? error
        : new PortForwardError("connect", hostPort, targetPort, place, typeof error === "string" ? { detail: error } : { cause: error });
    debug("forward %s:%d: %s", place.name, targetPort, typed.message);
    options.onError?.(typed);
  };
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
    socket.on("error", (error) => debug("client socket: %s", error.message));
    const connection = options.carry(socket, report);
    open.add(connection);
    socket.on("close", () => open.delete(connection));
  });
  const wanted = hostPort;
  hostPort = await listenOnLoopback(server, wanted, {
    ifTaken: options.ifTaken,
    wrapError: (error, port) => new PortForwardError("listen", port, targetPort, place, { cause: error }),
  });
  const takenHostPort = wanted > 0 && hostPort !== wanted ? wanted : undefined;
  if (takenHostPort !== undefined) debug("127.0.0.1:%d is taken; picked a free port", takenHostPort);
  server.on("error", (error) => report(error));
  debug("forwarding 127.0.0.1:%d → %s:%d", hostPort, place.name, targetPort);
  return {
    hostPort,
    takenHostPort,
    targetPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of open) connection.destroy();
        open.clear();
        server.close(() => resolve());
      }),
  };
}
