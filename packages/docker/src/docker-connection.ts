import type { TargetConnection } from "@alpiq/memray-core";
import type Docker from "dockerode";
import { DockerTarget } from "./docker-target.js";

/** What an install into a container does not survive. */
export const MEMRAY_LOST_ON_RECREATE =
  "memray was installed into the container's writable layer: it survives `docker restart` but not a new container " +
  "(docker compose up --force-recreate, a new image). Run the install again then, or add memray to the image.";

/** A running container as a TargetConnection: the target, its service as inspected, how to install there. */
export async function connectContainer(docker: Docker, container: string): Promise<TargetConnection> {
  const target = await DockerTarget.connect({ docker, container });
  return {
    target,
    service: async () => target.service(),
    installCommand: () => `memray-cli install --target ${target.name}`,
    installNote: MEMRAY_LOST_ON_RECREATE,
  };
}
