import { localTargetProvider, TargetRegistry } from "@alpiq/memray-core";
import { dockerTargetProvider } from "@alpiq/memray-docker/provider";
import type { KubeClient, KubeClientOptions } from "@alpiq/memray-kubernetes";
import { kubernetesTargetProvider } from "@alpiq/memray-kubernetes/provider";
import type Docker from "dockerode";

/** The runtimes' clients, made on first use (recognising a target needs none of them). */
export interface TargetClients {
  docker(): Promise<Docker>;
  kube(options: Pick<KubeClientOptions, "context" | "namespace">): Promise<KubeClient>;
}

/**
 * The targets the CLI knows, in the order they recognise `--target`: this host (`--local`, or nothing
 * named), Kubernetes pods (`pod/`, `deploy/`, `-l`), Docker containers (any other bare name). A new
 * runtime is one more provider here.
 */
export function createTargetRegistry(clients: TargetClients): TargetRegistry {
  return new TargetRegistry([localTargetProvider, kubernetesTargetProvider({ client: clients.kube }), dockerTargetProvider({ docker: clients.docker })]);
}
