import type { TargetConnection, TargetProvider } from "@alpiq/memray-core";
import type Docker from "dockerode";

/** A container name (`local-forecast-1`), an id or id prefix, or a Compose `project/service`. */
const CONTAINER_REF = /^\/?[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)?$/;

export interface DockerTargetParams {
  /** Container name, id (prefix) or Compose service (`service` or `project/service`). */
  container: string;
}

export interface DockerTargetProviderOptions {
  /** The engine's client, made on first use (a run on this host never loads dockerode). */
  docker: () => Promise<Docker>;
}

/**
 * Docker containers: `--target NAME`, an id prefix or a Compose `project/service`. Asked last: it
 * takes any bare name the other providers leave. Recognising loads nothing; connecting loads the
 * Engine API client and the target.
 */
export function dockerTargetProvider(options: DockerTargetProviderOptions): TargetProvider<DockerTargetParams> {
  return {
    kind: "docker",
    syntax: (label) => `${label("target")} NAME, ID or PROJECT/SERVICE for a Docker container`,
    fields: [],
    parse: (spec) => (spec.target !== undefined && CONTAINER_REF.test(spec.target) ? { container: spec.target } : null),
    describe: (params) => `container ${params.container}`,
    async connect(params): Promise<TargetConnection> {
      const [{ connectContainer }, docker] = await Promise.all([import("./docker-connection.js"), options.docker()]);
      return connectContainer(docker, params.container);
    },
  };
}
