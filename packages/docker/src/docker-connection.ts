import { findServicePython, type SignalsSource, type TargetConnection } from "@alpiq/memray-core";
import type Docker from "dockerode";
import { createDockerSignalsSource } from "./docker-signals-source.js";
import { DockerTarget } from "./docker-target.js";

/** What an install into a container does not survive. */
export const MEMRAY_LOST_ON_RECREATE =
  "memray was installed into the container's writable layer: it survives `docker restart` but not a new container " +
  "(docker compose up --force-recreate, a new image). Run the install again then, or add memray to the image.";

/** A running container as a TargetConnection: the target, its service as inspected, how to install there, its Compose project's signals. */
export async function connectContainer(docker: Docker, container: string): Promise<TargetConnection> {
  const target = await DockerTarget.connect({ docker, container });
  return {
    target,
    service: async () => target.service(),
    installCommand: () => `memray-cli install --target ${target.name}`,
    installNote: MEMRAY_LOST_ON_RECREATE,
    signalsSource: composeSignals(docker, target),
  };
}

/** The signals of the container's Compose project; a WireMock that publishes no port is reached through an exec relay in its own container. */
function composeSignals(docker: Docker, target: DockerTarget): SignalsSource<any, any> {
  return createDockerSignalsSource({
    docker,
    target: { id: target.id, name: target.name, labels: target.info.Config?.Labels ?? {} },
    async openPortForward(container, containerPort) {
      const other = await DockerTarget.connect({ docker, container: container.id });
      other.useInterpreter(await findServicePython(other.service()));
      const forward = await other.forwardPort(containerPort);
      return { url: `http://127.0.0.1:${forward.hostPort}`, close: () => forward.close() };
    },
  });
}
