import net from "node:net";
import type { Duplex } from "node:stream";
import { listenOnLoopback } from "@alpiq/memray-core";
import createDebug from "debug";
import { findPython } from "./container-inspection.js";
import { startExec } from "./docker-exec.js";
import { DockerStreamDemuxer } from "./docker-stream-demuxer.js";
import type { DockerTarget } from "./docker-target.js";
import { DockerExecError, PortForwardError } from "./errors.js";
import { RELAY_SCRIPT } from "./relay-script.js";

const debug = createDebug("memray:docker");

export interface ForwardPortOptions {
  target: Pick<DockerTarget, "container" | "name" | "info" | "exec">;
  /** Port the service listens on inside the container (on its loopback or all interfaces). */
  containerPort: number;
  /** Port on host 127.0.0.1; 0 or omitted picks a free one. */
  hostPort?: number;
  /**
   * When `hostPort` is taken on the host: "fail" (default) throws PortForwardError; "any" listens on a
   * free port instead and reports the one it wanted in `takenHostPort`.
   */
  ifTaken?: "fail" | "any";
  /** Interpreter in the container for the relay (default: findPython(target)). */
  python?: string | undefined;
  /** Failures of single connections (nothing listens in the container, the exec failed); never thrown. */
  onError?: (error: PortForwardError | DockerExecError) => void;
}

export interface PortForward {
  /** The host port actually listening on 127.0.0.1. */
  readonly hostPort: number;
  /** The host port asked for when it was taken and another was picked (ifTaken "any"); else undefined. */
  readonly takenHostPort?: number | undefined;
  readonly containerPort: number;
  /** Stop listening and drop every open connection. */
  close(): Promise<void>;
}

/**
 * Expose a container port on host loopback without touching container IPs (DESIGN.md network rule):
 * listen on 127.0.0.1:hostPort and, for each connection, `docker exec` a tiny Python relay in the
 * container that connects to 127.0.0.1:containerPort, with the exec's stdin/stdout as the pipe.
 */
export async function forwardPort(options: ForwardPortOptions): Promise<PortForward> {
  const { target, containerPort } = options;
  const python = options.python ?? (await findPython(target));
  const open = new Set<{ client: net.Socket; relay?: Duplex }>();
  let hostPort = options.hostPort ?? 0;
  const report = (error: PortForwardError | DockerExecError) => {
    debug("forward %s:%d: %s", target.name, containerPort, error.message);
    options.onError?.(error);
  };

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    const entry: { client: net.Socket; relay?: Duplex } = { client };
    open.add(entry);
    client.on("close", () => {
      entry.relay?.destroy();
      open.delete(entry);
    });
    client.on("error", (error) => debug("client socket: %s", error.message));
    startExec(target.container, target.name, [python, "-c", RELAY_SCRIPT, String(containerPort)], { stdin: true })
      .then(({ stream }) => {
        if (client.destroyed) {
          stream.destroy();
          return;
        }
        entry.relay = stream;
        const stderrChunks: Buffer[] = [];
        const demux = new DockerStreamDemuxer((chunk) => stderrChunks.push(Buffer.from(chunk)));
        stream.on("error", (error) => {
          debug("relay stream: %s", error.message);
          client.destroy();
        });
        // container → client (stdout of the relay), with backpressure
        stream.pipe(demux).pipe(client);
        demux.on("end", () => {
          const stderr = Buffer.concat(stderrChunks).toString("utf8").trim();
          if (stderr) report(new PortForwardError("connect", hostPort, containerPort, target.name, { detail: stderr }));
          if (stderr.includes("cannot connect")) client.destroy();
        });
        // client → container (stdin of the relay); the client's FIN closes the relay's stdin
        client.pipe(stream);
        client.resume();
      })
      .catch((error: unknown) => {
        report(error instanceof DockerExecError ? error : new PortForwardError("connect", hostPort, containerPort, target.name, { cause: error }));
        client.destroy();
      });
  });

  const wanted = hostPort;
  hostPort = await listenOnLoopback(server, wanted, {
    ifTaken: options.ifTaken,
    wrapError: (error, port) => new PortForwardError("listen", port, containerPort, target.name, { cause: error }),
  });
  const takenHostPort = wanted > 0 && hostPort !== wanted ? wanted : undefined;
  if (takenHostPort !== undefined) debug("127.0.0.1:%d is taken; picked a free port", takenHostPort);
  server.on("error", (error) => report(new PortForwardError("connect", hostPort, containerPort, target.name, { cause: error })));
  debug("forwarding 127.0.0.1:%d → %s:%d", hostPort, target.name, containerPort);

  return {
    hostPort,
    takenHostPort,
    containerPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, relay } of open) {
          relay?.destroy();
          client.destroy();
        }
        open.clear();
        server.close(() => resolve());
      }),
  };
}
