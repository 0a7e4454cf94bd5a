import type net from "node:net";
import type { Duplex } from "node:stream";
import { PortForwardError, TargetExecError, type ForwardedConnection, type TargetPlace } from "@alpiq/memray-core";
import createDebug from "debug";
import type Docker from "dockerode";
import { startExec } from "./docker-exec.js";
import { DockerStreamDemuxer } from "./docker-stream-demuxer.js";
import { RELAY_SCRIPT } from "./relay-script.js";

const debug = createDebug("memray:docker");

/**
 * Carry one host connection to a container's loopback port: `docker exec` the Python relay in the
 * container and pipe the socket through its stdin/stdout, with backpressure both ways. A relay that
 * cannot connect says so on stderr; that is reported as a PortForwardError of this connection.
 */
export function carryOverRelay(
  container: Docker.Container,
  place: TargetPlace,
  python: string,
  port: number,
  client: net.Socket,
  report: (error: unknown) => void,
): ForwardedConnection {
  let relay: Duplex | undefined;
  client.on("close", () => relay?.destroy());
  startExec(container, place, [python, "-c", RELAY_SCRIPT, String(port)], { stdin: true })
    .then(({ stream }) => {
      if (client.destroyed) {
        stream.destroy();
        return;
      }
      relay = stream;
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
        if (stderr) report(new PortForwardError("connect", client.localPort ?? 0, port, place, { detail: stderr }));
        if (stderr.includes("cannot connect")) client.destroy();
      });
      // client → container (stdin of the relay); the client's FIN closes the relay's stdin
      client.pipe(stream);
      client.resume();
    })
    .catch((error: unknown) => {
      report(error instanceof TargetExecError ? error : new PortForwardError("connect", client.localPort ?? 0, port, place, { cause: error }));
      client.destroy();
    });
  return {
    destroy() {
      relay?.destroy();
      client.destroy();
    },
  };
}
